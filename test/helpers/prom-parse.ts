/**
 * A strict reader of the Prometheus text format for tests: every line must be a HELP, a TYPE or a
 * well-formed sample, label values are unescaped, and a family declared twice is reported. A scrape
 * that Prometheus would reject fails here too.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: ParsedSample[];
  duplicateTypes: string[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\d+)?$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  while (i < text.length - 1) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length - 1) break;
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m || m[1] === undefined) throw new Error(`bad label at ${i} in: ${line}`);
    i += m[0].length;
    let value = '';
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error(`unterminated label value in: ${line}`);
      if (text[i] === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
      } else value += text[i++];
    }
    i++;
    labels[m[1]] = value;
  }
  return labels;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const duplicateTypes: string[] = [];
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t && t[1] !== undefined && t[2] !== undefined) {
      if (types.has(t[1])) duplicateTypes.push(t[1]);
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`malformed comment line: ${line}`);
    const m = SAMPLE.exec(line);
    if (!m || m[1] === undefined || m[3] === undefined) throw new Error(`malformed sample line: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3].toLowerCase() !== 'nan') throw new Error(`malformed value in: ${line}`);
    samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2], line) : {}, value });
  }
  return { types, samples, duplicateTypes };
}

/** The value of the sample with exactly these labels (missing labels count as ""), else undefined. */
export function sampleValue(e: Exposition, name: string, labels: Record<string, string>): number | undefined {
  const hit = e.samples.find((s) => {
    if (s.name !== name) return false;
    const keys = new Set([...Object.keys(s.labels), ...Object.keys(labels)]);
    for (const k of keys) if ((s.labels[k] ?? '') !== (labels[k] ?? '')) return false;
    return true;
  });
  return hit?.value;
}
