/**
 * What the status page shows, gathered from Redis only (never from Graph: opening the page costs the
 * tenant's Graph budget nothing). One gathering function per section, so a section's source can be
 * swapped without touching the others:
 *
 *   policy, locations   the state the target's last applied reconcile recorded (state/target-status-store.ts)
 *                       and the configured policy state and capacity
 *   killSwitch          not available yet (the kill switch's store plugs in here)
 *   sources             the last run of each source collection feeding the target, with its rejections
 *   reconcile           the target's last reconcile run record (its writes per location, counts, error)
 *   throttle            the tenant's 429 pause now (pacer keys) and the target's throttle counters (metrics)
 *   history             not recorded yet (the history store plugs in here; the chart renderer is ready)
 */
import type { RedisClient } from '../../redis/redis-connection.ts';
import { feedersOf } from '../../config/collections.ts';
import type { Config, TargetConfig } from '../../config/schema.ts';
import { encodeField, metricKeys } from '../../observability/metrics-keys.ts';
import { lastRunId, readRun, runReport, type RunRecord, type RunReport } from '../../pipeline/run-store.ts';
import { readTenantPause, type TenantPause } from '../../pipeline/tenant-pause.ts';
import { readHistory } from '../../state/history-store.ts';
import { readKillSwitch, type KillSwitch } from '../../state/kill-switch-store.ts';
import type { StateKeys } from '../../state/redis-keys.ts';
import { readTargetStatus, type TargetStatus } from '../../state/target-status-store.ts';
import type { RangePoint } from './range-chart.ts';

export interface StatusDeps {
  redis: RedisClient;
  keys: StateKeys;
  config: Config;
}

export interface PolicySection {
  name: string;
  configuredState: string;
  /** As the last applied reconcile left it; undefined before the first one. */
  recorded: TargetStatus | undefined;
}

/** The kill switch's state; `available: false` until its store exists. */
/** The target's kill switch (state/kill-switch-store.ts): engaged with who, when, why, or not. */
export type KillSwitchSection = { engaged: false } | { engaged: true; switch: KillSwitch };

export interface LocationsSection {
  maxLocations: number;
  maxRangesPerLocation: number;
  /** Undefined before the first applied reconcile. */
  recordedAt: string | undefined;
  locations: TargetStatus['locations'];
}

export interface SourceRunSection {
  source: string;
  collection: string;
  /** The last run with its rejections; null before the first. */
  last: RunReport | null;
}

export interface ThrottleSection {
  tenantId: string;
  pause: TenantPause;
  /** Graph 429s the target's requests got, and the time waited after them. */
  throttled: { count: number; ms: number };
  /** The target's jobs delayed because its tenant stayed throttled through every attempt. */
  delays: { count: number; ms: number };
}

export type HistorySection = { recorded: false } | { recorded: true; points: RangePoint[] };

export interface TargetStatusView {
  target: string;
  policy: PolicySection;
  killSwitch: KillSwitchSection;
  locations: LocationsSection;
  sources: SourceRunSection[];
  reconcile: RunRecord | null;
  throttle: ThrottleSection;
  history: HistorySection;
}

export function gatherPolicy(target: TargetConfig, recorded: TargetStatus | undefined): PolicySection {
  return { name: target.policy.name, configuredState: target.policy.state, recorded };
}

export async function gatherKillSwitch(deps: StatusDeps, target: string): Promise<KillSwitchSection> {
  const ks = await readKillSwitch(deps.redis, deps.keys, target);
  return ks ? { engaged: true, switch: ks } : { engaged: false };
}

export function gatherLocations(target: TargetConfig, recorded: TargetStatus | undefined): LocationsSection {
  const { maxLocations, maxRangesPerLocation } = target.namedLocation;
  return { maxLocations, maxRangesPerLocation, recordedAt: recorded?.recordedAt, locations: recorded?.locations ?? [] };
}

export async function gatherSources(deps: StatusDeps, target: string): Promise<SourceRunSection[]> {
  return Promise.all(
    feedersOf(deps.config, target).map(async ({ source, collection }) => {
      const id = await lastRunId(deps.redis, deps.keys, 'source', `${source}/${collection}`);
      return { source, collection, last: id === null ? null : await runReport(deps.redis, deps.keys, id) };
    }),
  );
}

export async function gatherReconcile(deps: StatusDeps, target: string): Promise<RunRecord | null> {
  const id = await lastRunId(deps.redis, deps.keys, 'target', target);
  return id === null ? null : readRun(deps.redis, deps.keys, id);
}

export async function gatherThrottle(deps: StatusDeps, target: TargetConfig, recorded: TargetStatus | undefined): Promise<ThrottleSection> {
  const tenantId = recorded?.tenantId ?? target.tenantId;
  const m = metricKeys(deps.config.redis.prefix);
  const field = (kind: string) => encodeField([target.name, kind]);
  const [pause, counts] = await Promise.all([
    readTenantPause(deps.redis, deps.config.redis.prefix, tenantId),
    deps.redis.multi().hget(m.graphThrottled, field('count')).hget(m.graphThrottled, field('ms')).hget(m.throttleDelays, field('count')).hget(m.throttleDelays, field('ms')).exec(),
  ]);
  const n = (i: number) => Number(counts?.[i]?.[1] ?? 0) || 0;
  return { tenantId, pause, throttled: { count: n(0), ms: n(1) }, delays: { count: n(2), ms: n(3) } };
}

/** The chart draws at most this many of the newest recorded runs. */
export const HISTORY_POINTS = 200;

export async function gatherHistory(deps: StatusDeps, target: string): Promise<HistorySection> {
  const entries = await readHistory(deps.redis, deps.keys, target, { limit: HISTORY_POINTS });
  if (entries.length === 0) return { recorded: false };
  return { recorded: true, points: entries.map((e) => ({ at: Date.parse(e.at), ranges: e.total })) };
}

export async function gatherTargetStatus(deps: StatusDeps, target: TargetConfig): Promise<TargetStatusView> {
  const recorded = await readTargetStatus(deps.redis, deps.keys, target.name);
  const [killSwitch, sources, reconcile, throttle, history] = await Promise.all([
    gatherKillSwitch(deps, target.name),
    gatherSources(deps, target.name),
    gatherReconcile(deps, target.name),
    gatherThrottle(deps, target, recorded),
    gatherHistory(deps, target.name),
  ]);
  return { target: target.name, policy: gatherPolicy(target, recorded), killSwitch, locations: gatherLocations(target, recorded), sources, reconcile, throttle, history };
}

export interface TargetSummary {
  target: string;
  recorded: TargetStatus | undefined;
  reconcile: RunRecord | null;
  capacity: number;
}

/** One line per configured target for the index page. */
export async function gatherIndex(deps: StatusDeps): Promise<TargetSummary[]> {
  return Promise.all(
    deps.config.targets.map(async (t) => ({
      target: t.name,
      recorded: await readTargetStatus(deps.redis, deps.keys, t.name),
      reconcile: await gatherReconcile(deps, t.name),
      capacity: t.namedLocation.maxLocations * t.namedLocation.maxRangesPerLocation,
    })),
  );
}
