/**
 * Text report of one measured run of bench:e2e (see measure-run.ts): stages with wall times relative
 * to the enqueue, rates, peak RSS per process (and the stage in which each peaked), Redis memory,
 * Graph requests by method and status, named locations written, overflow.
 */
import type { RunFigures } from './measure-run.ts';
import { timing } from './measure-run.ts';
import { mb } from './redis-memory.ts';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '?');

export function stageAt(f: RunFigures, t: number): string {
  const a = f.at;
  if (t < a.collectStart) return 'queued';
  if (t <= a.collected) return 'collect (ingest overlapping)';
  if (t <= a.commitStart) return 'ingest tail';
  if (t <= a.committed) return 'commit';
  if (t < a.reconcileStart) return 'between commit and reconcile';
  if (t <= a.reconcileEnd) return 'reconcile';
  return 'after the run';
}

/** Highest sampled RSS of a process in each stage, in stage order. */
export function rssByStage(f: RunFigures, samples: readonly [number, number][]): string {
  const max = new Map<string, number>();
  for (const [t, v] of samples) {
    const k = stageAt(f, t);
    max.set(k, Math.max(max.get(k) ?? 0, v));
  }
  return [...max].map(([k, v]) => `${k.replace(/ \(.*\)/, '')} ${v.toFixed(0)}`).join(', ');
}

export function graphCounts(log: RunFigures['graphLog']): { byMethodStatus: Map<string, number>; reads: number; writes: number; throttled: number } {
  const byMethodStatus = new Map<string, number>();
  let reads = 0;
  let writes = 0;
  let throttled = 0;
  for (const r of log) {
    const k = `${r.method} ${r.status}`;
    byMethodStatus.set(k, (byMethodStatus.get(k) ?? 0) + 1);
    if (r.status === 429) throttled += 1;
    if (r.method === 'GET') reads += 1;
    else writes += 1;
  }
  return { byMethodStatus, reads, writes, throttled };
}

/** What a Graph request was for: `list namedLocations`, `get policies`, `POST namedLocations`, `list namedLocations (headers)`, … */
export function requestKind(r: Pick<RunFigures['graphLog'][number], 'method' | 'path'>): string {
  const [path = '', query = ''] = r.path.split('?');
  const m = /\/(namedLocations|policies)(\/[^/?]+)?$/.exec(path);
  const what = m ? m[1] : path.replace(/^.*\/v1\.0/, '');
  const item = m?.[2] !== undefined;
  if (r.method === 'GET') return `${item ? 'get' : 'list'} ${what}${/\$select=/.test(decodeURIComponent(query)) ? ' (headers)' : ''}`;
  return `${r.method} ${what}`;
}

/** Requests by kind, their total, the successful writes, and the issue-15 budget `1.1 × writes + 5`. */
export function requestEconomy(log: RunFigures['graphLog']): { byKind: Map<string, number>; total: number; writes: number; budget: number } {
  const byKind = new Map<string, number>();
  let writes = 0;
  for (const r of log) {
    const k = requestKind(r);
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
    if (r.method !== 'GET' && r.status >= 200 && r.status < 300) writes += 1;
  }
  return { byKind, total: log.length, writes, budget: Math.floor(1.1 * writes) + 5 };
}

export function formatEconomy(log: RunFigures['graphLog']): string {
  const e = requestEconomy(log);
  const kinds = [...e.byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
  const ratio = e.writes > 0 ? (e.total / e.writes).toFixed(2) : '–';
  return `  Graph requests by kind: ${kinds}; ${e.total} requests for ${e.writes} writes (ratio ${ratio}; first-sync budget 1.1 × writes + 5 = ${e.budget}: ${e.total <= e.budget ? 'within' : 'OVER'})`;
}

export function formatRun(f: RunFigures, indicators: number): string[] {
  const a = f.at;
  const c = f.collect.counts;
  const r = f.reconcile.counts;
  const rel = (t: number) => `${t < f.enqueuedAt ? "-" : "+"}${s(Math.abs(t - f.enqueuedAt))}`;
  const toCommit = a.committed - f.enqueuedAt;
  const total = a.reconcileEnd - f.enqueuedAt;
  const locs = (f.reconcile.details?.['locations'] ?? []) as { displayName: string; action: string; size: number }[];
  const byAction = new Map<string, number>();
  for (const l of locs) byAction.set(l.action, (byAction.get(l.action) ?? 0) + 1);
  const g = graphCounts(f.graphLog);
  const lines = [
    `  indicators: ${n(indicators)} in the collection; seen ${n(c['seen'] ?? NaN)}, kept ${n(c['kept'] ?? NaN)} (network types), accepted ${n(c['accepted'] ?? NaN)}, rejected ${n(c['rejected'] ?? NaN)}, ${n(c['ranges'] ?? NaN)} merged ranges in the snapshot`,
    '  stages (wall time; times after the enqueue):',
    `    collect   page the source, add ${n(c['chunks'] ?? NaN)} ingest chunks   ${s(timing(f.collect, 'collectMs')).padStart(9)}   ${rel(a.collectStart)} → ${rel(a.collected)}`,
    `    ingest    ${n(f.ingestChunks)} chunks, first start → last done      ${s(a.ingestLast - a.ingestFirst).padStart(9)}   ${rel(a.ingestFirst)} → ${rel(a.ingestLast)} (overlaps collect)`,
    `              of which after the last chunk was added    ${s(timing(f.collect, 'waitMs')).padStart(9)}`,
    `    commit    merge staged chunks, atomic MULTI        ${s(timing(f.collect, 'commitMs')).padStart(9)}   → ${rel(a.committed)}`,
    `    plan      fan-in ${s(timing(f.reconcile, 'desiredMs'))}, lock+read live ${s(timing(f.reconcile, 'readMs'))}, plan ${s(timing(f.reconcile, 'planMs'))}   ${s(timing(f.reconcile, 'desiredMs') + timing(f.reconcile, 'readMs') + timing(f.reconcile, 'planMs')).padStart(9)}   reconcile started ${rel(a.reconcileStart)}`,
    `    apply     ${n(g.writes)} Graph writes                         ${s(timing(f.reconcile, 'applyMs')).padStart(9)}   → ${rel(a.reconcileEnd)}`,
    `  enqueue → committed snapshot: ${s(toCommit)} = ${n(indicators / (toCommit / 1000))} indicators/s`,
    `  enqueue → reconcile done (Entra in step): ${s(total)} = ${n(indicators / (total / 1000))} indicators/s`,
    '  peak RSS (VmHWM since the start of this run):',
    ...f.rss.map((p) => `    ${p.name.padEnd(18)} ${`${p.hwmMb.toFixed(0)} MB`.padStart(7)}   (sampled peak ${p.sampledMb.toFixed(0)} MB at ${rel(p.sampledAt)}, ${stageAt(f, p.sampledAt)})`),
    ...f.rss.filter((p) => p.name.startsWith('worker')).map((p) => `    ${p.name} RSS by stage (MB): ${rssByStage(f, p.samples)}`),
    `  Redis used_memory: ${mb(f.redisMemory.baseline)} at the start, highest ${mb(f.redisMemory.sampledMax)} (+${mb(f.redisMemory.delta)}); server used_memory_peak ${mb(f.redisMemory.peakBefore)} before, ${mb(f.redisMemory.peakAfter)} after`,
    `  Redis staging: +${mb(f.stagedBytes)} of used_memory from the enqueue to the first commit, ` +
      (f.outcomes.filter((o) => o.queue === 'collect').length === 1
        ? `for ${n(c['kept'] ?? NaN)} kept indicators staged: ${mb(f.stagedBytes / ((c['kept'] ?? NaN) / 1e6))} per million staged indicators`
        : '(several sources: the first commit frees its staging while others still stage; per million with --sources 1)'),
    `  Graph requests: ${[...g.byMethodStatus].sort().map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'} (reads ${g.reads}, writes ${g.writes}, 429s ${g.throttled}; reconcile counted reads ${n(r['graphReads'] ?? NaN)}, writes ${n(r['graphWrites'] ?? NaN)})`,
    formatEconomy(f.graphLog),
    `  named locations: ${byAction.get('create') ?? 0} created, ${byAction.get('update') ?? 0} updated, ${byAction.get('delete') ?? 0} deleted, ${byAction.get('unchanged') ?? 0} unchanged; ` +
      `${n(r['finalRanges'] ?? NaN)} ranges in ${locs.filter((l) => l.action !== 'delete').length} locations (desired ${n(r['desired'] ?? NaN)}, added ${n(r['added'] ?? NaN)}, removed ${n(r['removed'] ?? NaN)}); policy ${String(f.reconcile.details?.['policy'] ?? '?')}`,
    `  overflow: ${n(r['overflow'] ?? NaN)} ranges did not fit${(r['overflow'] ?? 0) > 0 ? ` (by source: ${JSON.stringify(f.reconcile.details?.['overflowBySource'] ?? {})})` : ''}`,
  ];
  return lines;
}
