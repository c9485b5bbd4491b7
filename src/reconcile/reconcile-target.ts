/**
 * reconcileTarget: one reconcile of one target, used by the CLI (`plan`, `apply`) and the reconcile
 * worker. Steps: desired set (the `desired` override, e.g. `--indicators`, else the fan-in of the
 * committed snapshots feeding the target) minus `safety.neverBlock` and ThreatQ's whitelist → under the target lock (not for
 * a dry run): token tenant, live state, owned-ranges record, ownership record of the token's tenant
 * (which objects other targets manage, object-owners.ts), removal-grace record (removal-grace.ts;
 * its clock `now` is injectable) → planReconcile → applyPlan (unless dryRun; the grace record's new
 * entries are written just before it, its forgotten ones deleted once it succeeded). The lock is
 * released in every case; a refusal throws the typed safety error before any write. The result
 * carries the plan, what apply did, and how long each step took (`timings`, wall milliseconds:
 * desired = snapshot fan-in and never-block subtraction, read = lock + token tenant + live state +
 * owned and grace records, plan = planReconcile, apply = applyPlan; for bench:e2e and run records).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'winston';
import type { Config, TargetConfig } from '../config/schema.ts';
import type { GraphClient } from '../graph/graph-types.ts';
import { getLogger } from '../observability/logger.ts';
import { readGrace, updateGrace } from '../state/grace-store.ts';
import { readOwnedRanges } from '../state/owned-ranges-store.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import { acquireTargetLock, type TargetLock } from '../state/target-lock.ts';
import { applyPlan, type ApplyDeps, type ApplyResult } from './apply.ts';
import { buildDesiredFromSnapshots, splitDesiredBroaderThan, subtractNeverBlock, subtractWhitelists, type SnapshotUse, type WhitelistUse } from './desired-ranges.ts';
import { findTarget } from '../config/find-target.ts';
import { classifyOwners } from './object-owners.ts';
import { planReconcile } from './plan.ts';
import type { DesiredRange, Plan } from './plan-types.ts';
import { readLiveIncludingOwnCreates } from './read-own-creates.ts';

export interface ReconcileTargetOptions {
  config: Config;
  targetName: string;
  redis: Redis;
  keys: StateKeys;
  graph: GraphClient;
  /** Use this desired set instead of the committed snapshots (neverBlock is still subtracted). */
  desired?: readonly DesiredRange[];
  manual: boolean;
  force: boolean;
  dryRun: boolean;
  /** Lock TTL (renewed after each write) and how long to wait for a busy lock. */
  lockTtlMs?: number;
  lockWaitMs?: number;
  logger?: Logger;
  apply?: Pick<ApplyDeps, 'consistency' | 'sleep'>;
  /** The clock of the removal grace (epoch ms); default Date.now (tests and bench:grace inject one). */
  now?: () => number;
}

export interface ReconcileResult {
  target: string;
  dryRun: boolean;
  /** Where desired came from. */
  desiredFrom: 'snapshots' | 'override';
  /** The snapshots read (empty with an override). */
  snapshots: SnapshotUse[];
  /** Desired ranges before and after the never-block subtraction. */
  desiredBeforeNeverBlock: number;
  /** ThreatQ's whitelist (subtracted after neverBlock, with an override too): ranges held, ranges cut. */
  whitelist: WhitelistUse;
  plan: Plan;
  /** undefined for a dry run. */
  applied: ApplyResult | undefined;
  timings: ReconcileTimings;
}

/** Wall milliseconds per step of one reconcile (applyMs is 0 for a dry run). */
export interface ReconcileTimings {
  desiredMs: number;
  readMs: number;
  planMs: number;
  applyMs: number;
}

/** Lease of the target lock; renewed every third of it while the reconcile runs. */
export const DEFAULT_LOCK_TTL_MS = 30_000;

/**
 * The target's desired set: the override, or the fan-in of its snapshots; then neverBlock and ThreatQ's
 * whitelist out and floor-broad blocks split. A fan-in over the target's capacity keeps only the
 * ranges that can be placed (the capacity's highest weights, desired-ranges.ts keepTop) unless the
 * target has a removal grace (a range left out would be held instead of removed as overflow); when
 * the subtractions leave fewer than the capacity, the fan-in is made again whole.
 */
async function desiredOf(options: ReconcileTargetOptions, target: TargetConfig) {
  const { config, redis, keys } = options;
  const capacity = target.namedLocation.maxLocations * target.namedLocation.maxRangesPerLocation;
  const afterSubtractions = async (keepTop: number | undefined) => {
    const built = options.desired ? { desired: options.desired, snapshots: [], trimmed: undefined } : await buildDesiredFromSnapshots(redis, keys, config, target.name, keepTop);
    const allowed = await subtractWhitelists(redis, keys, config, target.name, subtractNeverBlock(built.desired, target.safety.neverBlock));
    const desired = splitDesiredBroaderThan(allowed.desired, target.safety.minPrefixV4, target.safety.minPrefixV6);
    // Counts, not the arrays: the desired objects must not outlive the plan (they would stay live
    // through the whole apply otherwise, and the heap V8 keeps grows with what is live).
    return { rawCount: built.desired.length, snapshots: built.snapshots, trimmed: built.trimmed, allowed: { whitelist: allowed.whitelist, cidrs: allowed.cidrs }, desired };
  };
  const first = await afterSubtractions(target.removalGrace === undefined ? capacity : undefined);
  return first.trimmed && first.desired.length < capacity ? afterSubtractions(undefined) : first;
}

export async function reconcileTarget(options: ReconcileTargetOptions): Promise<ReconcileResult> {
  const { config, redis, keys, graph } = options;
  const target = findTarget(config, options.targetName);
  const log = options.logger ?? getLogger('reconcile');
  const t0 = performance.now();

  const { rawCount, snapshots, trimmed, allowed, desired } = await desiredOf(options, target);
  const t1 = performance.now();

  let lock: TargetLock | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  if (!options.dryRun) {
    const ttlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    const held = await acquireTargetLock(redis, keys, target.name, { ttlMs, waitMs: options.lockWaitMs ?? 0 });
    lock = held;
    // Keep the lease short and renew it while this process lives: a holder that dies (SIGKILL) frees
    // the target within one TTL, instead of blocking it for as long as the longest reconcile.
    heartbeat = setInterval(() => void held.extend().catch(() => undefined), Math.max(250, Math.floor(ttlMs / 3)));
    heartbeat.unref();
  }
  try {
    const tokenTenantId = await graph.tokenTenantId();
    const { live, owners } = await readLiveIncludingOwnCreates(graph, { redis, keys, target: target.name, tenantId: tokenTenantId, lock, logger: log });
    const owned = await readOwnedRanges(redis, keys, target.name);
    const grace = { firstAbsent: await readGrace(redis, keys, target.name), now: (options.now ?? Date.now)(), neverHold: allowed.cidrs };
    const objectOwners = classifyOwners(config, target, tokenTenantId, live, owners);
    const t2 = performance.now();
    const plan = planReconcile({ target, desired, trimmed, live, owned, manual: options.manual, force: options.force, tokenTenantId, objectOwners, grace });
    for (const w of plan.warnings) log.warn(w, { target: target.name });
    log.info('reconcile planned', { target: target.name, dryRun: options.dryRun, ...plan.summary, overflow: plan.overflow.total });
    const t3 = performance.now();
    let applied: ApplyResult | undefined;
    if (lock) {
      await updateGrace(redis, keys, lock, { start: plan.grace.start });
      applied = await applyPlan(plan, { graph, redis, keys, lock, logger: log, ownership: { tenantId: tokenTenantId }, ...options.apply });
      await updateGrace(redis, keys, lock, { forget: plan.grace.forget });
      log.info('reconcile applied', { target: target.name, steps: applied.steps.length, graphWrites: applied.graphWrites });
    }
    return {
      target: target.name,
      dryRun: options.dryRun,
      desiredFrom: options.desired ? 'override' : 'snapshots',
      snapshots,
      desiredBeforeNeverBlock: rawCount + (trimmed?.total ?? 0),
      whitelist: allowed.whitelist,
      plan,
      applied,
      timings: { desiredMs: Math.round(t1 - t0), readMs: Math.round(t2 - t1), planMs: Math.round(t3 - t2), applyMs: Math.round(performance.now() - t3) },
    };
  } finally {
    clearInterval(heartbeat);
    await lock?.release();
  }
}
