/**
 * Prometheus text exposition format (version 0.0.4), written by hand for the Redis-backed service
 * metrics (whose values are read, not observed, so prom-client's registries do not fit), and a merge
 * of several expositions into one in which each metric family appears once (BullMQ's
 * `exportPrometheusMetrics` repeats `# HELP`/`# TYPE` for every queue, which scrapers reject).
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  labels: Readonly<Record<string, string>>;
  value: number;
  /** Appended to the family name: `_bucket`, `_sum`, `_count` for histograms. */
  suffix?: string;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: readonly Sample[];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** One family: HELP, TYPE and its samples (a family without samples still declares itself). */
export function formatFamily(family: MetricFamily): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const s of family.samples) lines.push(`${family.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  return lines.join('\n');
}

/**
 * Merge expositions so each family's HELP/TYPE appears once, followed by all of its samples in input
 * order. Samples are attached to the family of the nearest preceding `# TYPE`/`# HELP` line.
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const family = (n: string) => {
    let f = families.get(n);
    if (!f) {
      f = { samples: [] };
      families.set(n, f);
    }
    return f;
  };
  for (const text of texts) {
    let current: string | undefined;
    for (const raw of text.split('\n')) {
      const line = raw.trimEnd();
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta && meta[2] !== undefined) {
        current = meta[2];
        const f = family(current);
        if (meta[1] === 'HELP') f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      const sampleName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!sampleName) continue;
      const owner = current !== undefined && sampleName.startsWith(current) ? current : sampleName;
      family(owner).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    out.push(...f.samples);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
