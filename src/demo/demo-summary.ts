/**
 * The demo's closing summary, built from what the run stores recorded and what the Graph emulator
 * now holds (so it shows what really landed in "Entra").
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Config } from '../config/schema.ts';
import type { GraphEmulator } from '../emulators/graph/graph-emulator.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import { collectionsOf } from '../config/collections.ts';
import { lastRunId, readRejections, readRun } from '../pipeline/run-store.ts';
import { stageId as stageIdOf } from '../pipeline/run-ids.ts';

export interface DemoSourceSummary {
  source: string;
  collection: string;
  status: string;
  seen: number;
  kept: number;
  accepted: number;
  rejected: number;
  ranges: number;
  durationMs: number;
  rejectedByReason: Record<string, number>;
  filtered: Record<string, number>;
  /** ThreatQ whitelist entries the run committed (never blocked). */
  whitelisted: number;
}

export interface DemoLocationSummary {
  displayName: string;
  ranges: number;
  capacityShare: number;
}

export interface DemoSummary {
  sources: DemoSourceSummary[];
  target: string;
  desired: number;
  overflow: number;
  /** ThreatQ's whitelist at the reconcile: ranges it held, desired ranges it cut. */
  whitelist: { ranges: number; cut: number };
  locations: DemoLocationSummary[];
  policy: { displayName: string; state: string; locations: number } | undefined;
  graph: { reads: number; writes: number; throttled: number };
  reconcileMs: number;
  totalMs: number;
}

interface LocationJson {
  displayName: string;
  ipRanges: unknown[];
}
interface PolicyJson {
  displayName: string;
  state: string;
  conditions?: { locations?: { includeLocations?: string[]; excludeLocations?: string[] } | null };
}

/**
 * `reconcileRunId`: the reconcile that covered the sync (followRuns' outcome). Without it the target's
 * latest run is read, which may already be a later reconcile that has only just started.
 */
export async function buildDemoSummary(
  redis: RedisClient,
  keys: StateKeys,
  config: Config,
  graph: GraphEmulator,
  totalMs: number,
  reconcileRunId?: string,
): Promise<DemoSummary> {
  const target = config.targets[0];
  if (!target) throw new Error('the demo configuration has no target');
  const sources: DemoSourceSummary[] = [];
  for (const s of config.sources) {
    for (const c of collectionsOf(s)) {
      const id = await lastRunId(redis, keys, 'source', `${s.name}/${c.id}`);
      const run = id === null ? null : await readRun(redis, keys, id);
      const stageId = typeof run?.details?.['stageId'] === 'string' ? run.details['stageId'] : stageIdOf(id ?? '', 1);
      const rej = await readRejections(redis, keys, stageId);
      sources.push({
        source: s.name,
        collection: c.id,
        status: run?.status ?? 'no run',
        seen: run?.counts['seen'] ?? 0,
        kept: run?.counts['kept'] ?? 0,
        accepted: rej.accepted,
        rejected: rej.rejected,
        ranges: run?.counts['ranges'] ?? 0,
        durationMs: run?.counts['durationMs'] ?? 0,
        rejectedByReason: rej.reasons,
        filtered: (run?.details?.['filtered'] as Record<string, number> | undefined) ?? {},
        whitelisted: typeof run?.details?.['whitelisted'] === 'number' ? run.details['whitelisted'] : 0,
      });
    }
  }
  const rid = reconcileRunId ?? (await lastRunId(redis, keys, 'target', target.name));
  const rrun = rid === null ? null : await readRun(redis, keys, rid);
  const state = graph.state();
  const name = target.namedLocation.name;
  const locations = (state.namedLocations as unknown as LocationJson[])
    .filter((l) => l.displayName === name || l.displayName.startsWith(`${name} (`))
    .map((l) => ({ displayName: l.displayName, ranges: l.ipRanges.length, capacityShare: l.ipRanges.length / target.namedLocation.maxRangesPerLocation }))
    .sort((a, b) => shardNo(a.displayName) - shardNo(b.displayName));
  const policy = (state.policies as unknown as PolicyJson[]).find((p) => p.displayName === target.policy.name);
  const log = graph.requests({ kind: 'graph' });
  return {
    sources,
    target: target.name,
    desired: rrun?.counts['desired'] ?? 0,
    overflow: rrun?.counts['overflow'] ?? 0,
    whitelist: { ranges: rrun?.counts['whitelistRanges'] ?? 0, cut: rrun?.counts['whitelistCut'] ?? 0 },
    locations,
    policy: policy && {
      displayName: policy.displayName,
      state: policy.state,
      locations: (policy.conditions?.locations?.includeLocations?.length ?? 0) + (policy.conditions?.locations?.excludeLocations?.length ?? 0),
    },
    graph: { reads: log.filter((e) => e.method === 'GET').length, writes: log.filter((e) => e.method !== 'GET').length, throttled: log.filter((e) => e.status === 429).length },
    reconcileMs: rrun?.counts['durationMs'] ?? 0,
    totalMs,
  };
}

function shardNo(displayName: string): number {
  return Number(/\((\d+)\)$/.exec(displayName)?.[1] ?? 1);
}

const n = (x: number) => x.toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatDemoSummary(s: DemoSummary): string {
  const out: string[] = [];
  out.push('Sources (ThreatQ emulators)');
  out.push(`  ${'source / collection'.padEnd(34)} ${'seen'.padStart(8)} ${'IP kept'.padStart(8)} ${'accepted'.padStart(9)} ${'rejected'.padStart(9)} ${'ranges'.padStart(8)}  time`);
  for (const src of s.sources) {
    out.push(
      `  ${`${src.source} / ${src.collection}`.padEnd(34)} ${n(src.seen).padStart(8)} ${n(src.kept).padStart(8)} ${n(src.accepted).padStart(9)} ${n(src.rejected).padStart(9)} ${n(src.ranges).padStart(8)}  ${secs(src.durationMs)}${src.status === 'succeeded' ? '' : `  (${src.status})`}`,
    );
    const reasons = Object.entries(src.rejectedByReason).sort((a, b) => b[1] - a[1]);
    if (reasons.length > 0) out.push(`      rejected by reason: ${reasons.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
    const filtered = Object.entries(src.filtered).sort((a, b) => b[1] - a[1]);
    if (filtered.length > 0) out.push(`      filtered out (not an IP type / not Active / below a threshold): ${filtered.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
    if (src.whitelisted > 0) out.push(`      whitelist (ThreatQ Whitelisted IP indicators, never blocked): ${n(src.whitelisted)}`);
  }
  out.push('');
  out.push(`Target ${s.target}: ${n(s.desired)} ranges desired${s.overflow > 0 ? `, ${n(s.overflow)} left out (over capacity)` : ''}`);
  if (s.whitelist.ranges > 0) out.push(`  ThreatQ whitelist: ${n(s.whitelist.ranges)} ranges, ${n(s.whitelist.cut)} desired ranges cut (never blocked)`);
  out.push(`  ${'named location'.padEnd(34)} ${'ranges'.padStart(8)}  capacity used`);
  for (const l of s.locations) out.push(`  ${l.displayName.padEnd(34)} ${n(l.ranges).padStart(8)}  ${(l.capacityShare * 100).toFixed(0).padStart(3)}%`);
  out.push(
    s.policy
      ? `  policy "${s.policy.displayName}": ${s.policy.state}${s.policy.state === 'enabledForReportingButNotEnforced' ? ' (report-only: logs what it would block, blocks nobody)' : ''}, ${s.policy.locations} location(s)`
      : '  policy: not created',
  );
  out.push(`  Graph requests: ${n(s.graph.reads)} reads, ${n(s.graph.writes)} writes${s.graph.throttled ? `, ${s.graph.throttled} throttled (429)` : ''}; reconcile ${secs(s.reconcileMs)}`);
  out.push(`Total ${secs(s.totalMs)}`);
  return out.join('\n');
}
