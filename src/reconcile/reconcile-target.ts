/**
 * reconcileTarget: one reconcile of one target, used by the CLI (`plan`, `apply`) and the reconcile
 * worker. Steps: desired set (the `desired` override, e.g. `--indicators`, else the fan-in of the
 * committed snapshots feeding the target) minus `safety.neverBlock` and ThreatQ's whitelist → under the target lock (not for
 * a dry run): token tenant, live state, owned-ranges record, ownership record of the token's tenant
 * (which objects other targets manage, object-owners.ts), removal-grace record (removal-grace.ts;
 * its clock `now` is injectable) → planReconcile → applyPlan (unless dryRun; the grace record's new
 * entries are written just before it, its forgotten ones deleted once it succeeded; then what Entra
 * holds now is recorded for the status page, final-state.ts → target-status-store.ts, and the
 * policy's id is remembered for the kill switch, rememberPolicyId; a What If refusal of the enable
 * records what was written, report-only, the same way, then throws its ERR_SAFETY_WHATIF). The lock is released in every
 * case. The target's kill switch (src/state/kill-switch-store.ts) is read under the lock, so a switch
 * engaged before the lock was taken always holds the policy's state. A refusal throws the typed
 * safety error before any write. The result
 * carries the plan, what apply did, and how long each step took (`timings`, wall milliseconds:
 * desired = snapshot fan-in and never-block subtraction, read = lock + token tenant + live state +
 * owned and grace records, plan = planReconcile, apply = applyPlan; for bench:e2e and run records).
 *
 * Pinned targets (state/pin-store.ts): without a `desired` override, a target pinned by `tq-entra
 * rollback` takes the pinned ranges as its desired set (neverBlock and the whitelist still subtracted),
 * says so in a plan warning and a log line, and `desiredFrom` is 'pinned'. `pinTo` (rollback) makes
 * the pin's ranges the desired set and writes the pin under the lock just before apply, only when the
 * plan carries no refusal. The pin is read again under the lock: one set or cleared since desired was
 * built (a rollback that released the lock just before) makes desired built again, so a run never
 * undoes a rollback with the ranges it read before it. `history` (the run id): a run that applies at least one step records its
 * diff and the new head in the target's history (state/history-store.ts, history-entry.ts) under the
 * lock; a failure to record is logged and does not fail the run (Entra is already written).
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Logger } from 'winston';
import type { Config, TargetConfig } from '../config/schema.ts';
import type { GraphClient } from '../graph/graph-types.ts';
import { getLogger } from '../observability/logger.ts';
import { enterTightHeap, releaseHeap } from '../observability/heap-release.ts';
import { readGrace, updateGrace } from '../state/grace-store.ts';
import { readKillSwitch, rememberPolicyId } from '../state/kill-switch-store.ts';
import { readOwnedRanges } from '../state/owned-ranges-store.ts';
import { writeTargetStatus } from '../state/target-status-store.ts';
import type { HistoryKind } from '../state/history-diff.ts';
import { recordHistory } from '../state/history-store.ts';
import { readPin, writePin, type Pin } from '../state/pin-store.ts';
import { buildHistoryEntry, historySourcesOf } from './history-entry.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import { acquireTargetLock, type TargetLock } from '../state/target-lock.ts';
import type { ApplyDeps, ApplyResult } from './apply.ts';
import { applyWithWhatIf, type WhatIfAlert, type WhatIfReport } from './what-if-guard.ts';
import { buildDesiredFromSnapshots, readSnapshotUses, splitDesiredBroaderThan, subtractNeverBlock, subtractWhitelists, type SnapshotUse, type WhitelistUse } from './desired-ranges.ts';
import { findTarget } from '../config/find-target.ts';
import { classifyOwners } from './object-owners.ts';
import { finalStateOf } from './final-state.ts';
import { planReconcile } from './plan.ts';
import type { DesiredRange, Plan, TrimmedDesired } from './plan-types.ts';
import { readLiveIncludingOwnCreates } from './read-own-creates.ts';

export interface ReconcileTargetOptions {
  config: Config;
  targetName: string;
  redis: RedisClient;
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
  /** Called when What If finds an enforced policy misbehaving (what-if-guard.ts): the notifications hook. */
  onSafetyAlert?: (alert: WhatIfAlert) => Promise<void>;
  /** Rollback: desired = these ranges, and the pin is written under the lock before apply. */
  pinTo?: Pin;
  /** Record a writing run in the target's history under this run id. */
  history?: { run: string; kind: HistoryKind };
}

export interface ReconcileResult {
  target: string;
  dryRun: boolean;
  /** Where desired came from ('pinned': the target's pin, or the pin a rollback sets). */
  desiredFrom: 'snapshots' | 'override' | 'pinned';
  /** The pin the run followed (undefined when the target is not pinned). */
  pinned: { run: string; at: string } | undefined;
  /** The snapshots read (empty with an override; a pinned run lists them, metadata only, though the pin decides). */
  snapshots: SnapshotUse[];
  /** Desired ranges before and after the never-block subtraction. */
  desiredBeforeNeverBlock: number;
  /** ThreatQ's whitelist (subtracted after neverBlock, with an override too): ranges held, ranges cut. */
  whitelist: WhitelistUse;
  plan: Plan;
  /** undefined for a dry run. */
  applied: ApplyResult | undefined;
  /** The What If evaluation after apply (what-if-guard.ts); undefined when none was due. */
  whatIf: WhatIfReport | undefined;
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
 * Take the target lock and renew it while this process lives (`takeOver`: the kill switch's take-over
 * after the wait, target-lock.ts). The lease stays short: a holder that
 * dies (SIGKILL) frees the target within one TTL, instead of blocking it for as long as the longest reconcile.
 */
export async function lockWithHeartbeat(
  redis: RedisClient,
  keys: StateKeys,
  target: string,
  options: Pick<ReconcileTargetOptions, 'lockTtlMs' | 'lockWaitMs'> & { takeOver?: boolean; pollMs?: number },
): Promise<{ lock: TargetLock; heartbeat: NodeJS.Timeout }> {
  const ttlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const lock = await acquireTargetLock(redis, keys, target, { ttlMs, waitMs: options.lockWaitMs ?? 0, takeOver: options.takeOver === true, ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
  const heartbeat = setInterval(() => void lock.extend().catch(() => undefined), Math.max(250, Math.floor(ttlMs / 3)));
  heartbeat.unref();
  return { lock, heartbeat };
}

/**
 * The target's desired set: the override, or the fan-in of its snapshots; then neverBlock and ThreatQ's
 * whitelist out and floor-broad blocks split. A fan-in over the target's capacity keeps only the
 * ranges that can be placed (the capacity's highest weights, desired-ranges.ts keepTop) unless the
 * target has a removal grace (a range left out would be held instead of removed as overflow); when
 * the subtractions leave fewer than the capacity, the fan-in is made again keeping more
 * (`widerKeepTop`), until the subtractions leave at least the capacity or nothing was left out.
 *
 * Why that places what the whole fan-in would: the subtractions work range by range (a cut range's
 * pieces keep its weight), so the kept set after them is exactly the whole set's ranges of weight
 * at least the cut-off. Once it holds the capacity or more, every range the plan could place
 * (the capacity's highest weights, ties included) is in it; what is left out weighs less. One
 * difference, on purpose: a live range an administrator added by hand that the feeds also hold
 * below the cut-off is, being left out, not desired, so mirror keeps it as hand-added (the whole
 * fan-in would make it desired, drop it on weight and remove it); it was the trim's behaviour
 * before too, and it errs towards keeping an administrator's range.
 */
async function desiredOf(options: ReconcileTargetOptions, target: TargetConfig) {
  releaseHeap(); // start the fan-in on a heap without the last job's garbage (heap-release.ts)
  const built = await widenedDesired(options, target);
  releaseHeap(); // the fan-in's merge and text are garbage now
  return built;
}

async function widenedDesired(options: ReconcileTargetOptions, target: TargetConfig) {
  const { config, redis, keys } = options;
  const capacity = target.namedLocation.maxLocations * target.namedLocation.maxRangesPerLocation;
  const afterSubtractions = async (keepTop: number | undefined) => {
    const built = await resolveDesired(options, keepTop);
    const allowed = await subtractWhitelists(redis, keys, config, target.name, subtractNeverBlock(built.raw, target.safety.neverBlock));
    releaseHeap(); // the whitelists read and the subtractions' copies
    const desired = splitDesiredBroaderThan(allowed.desired, target.safety.minPrefixV4, target.safety.minPrefixV6);
    // Counts, not the arrays: the desired objects must not outlive the plan (they would stay live
    // through the whole apply otherwise, and the heap V8 keeps grows with what is live).
    return { rawCount: built.raw.length, snapshots: built.snapshots, trimmed: built.trimmed, desiredFrom: built.desiredFrom, pin: built.pin, allowed: { whitelist: allowed.whitelist, cidrs: allowed.cidrs }, desired };
  };
  if (target.removalGrace !== undefined) return afterSubtractions(undefined);
  let got = await afterSubtractions(capacity);
  // Nothing left out (`total` 0: the cut-off was the lowest weight) means there is nothing to widen to.
  while (got.trimmed && got.trimmed.total > 0 && got.desired.length < capacity) {
    const wider = widerKeepTop({ held: got.rawCount, kept: got.desired.length, capacity, total: got.rawCount + got.trimmed.total });
    (options.logger ?? getLogger('reconcile')).info('fan-in: the subtractions left fewer ranges than the capacity; keeping more', { target: target.name, held: got.rawCount, kept: got.desired.length, capacity, next: wider ?? 'all' });
    got = await afterSubtractions(wider);
    if (wider === undefined) break;
  }
  return got;
}

/**
 * The next `keepTop` when the subtractions left `kept` of the `held` ranges the fan-in made (held ≥
 * keepTop: ties at the cut-off are all held), fewer than `capacity`: `held` scaled by the share
 * they kept, plus a tenth and at least 64 (so the cut-off moves past the ties it held); undefined
 * (the whole fan-in) once that reaches the `total` the fan-in holds.
 */
export function widerKeepTop(at: { held: number; kept: number; capacity: number; total: number }): number | undefined {
  const scaled = Math.ceil((at.held * at.capacity * 11) / (10 * Math.max(1, at.kept)));
  const next = Math.max(at.held + 64, scaled);
  return next >= at.total ? undefined : next;
}

export async function reconcileTarget(options: ReconcileTargetOptions): Promise<ReconcileResult> {
  // The desired set and the plan hold the largest live sets: V8's heap growth is held low until the
  // plan is made, not through the paced apply (observability/heap-release.ts).
  const loosen = enterTightHeap();
  try {
    return await reconcileWith(options, loosen);
  } finally {
    loosen();
  }
}

async function reconcileWith(options: ReconcileTargetOptions, planned: () => void): Promise<ReconcileResult> {
  const { config, redis, keys, graph } = options;
  const target = findTarget(config, options.targetName);
  const log = options.logger ?? getLogger('reconcile');
  const t0 = performance.now();
  // `prepared.desired` is dropped once planned and the history's share taken (not live through the apply).
  let prepared: { desired: readonly DesiredRange[] } & Awaited<ReturnType<typeof desiredOf>> = await desiredOf(options, target);
  const t1 = performance.now();
  const { lock, heartbeat } = options.dryRun ? { lock: undefined, heartbeat: undefined } : await lockWithHeartbeat(redis, keys, target.name, options);
  try {
    // The pin may have changed (a rollback, an unpin) between the desired set and the lock: follow it.
    if (lock && (await pinChangedSince(options, prepared.pin))) prepared = await desiredOf(options, target);
    const { rawCount, snapshots, trimmed, allowed, desiredFrom, pin } = prepared;
    const tokenTenantId = await graph.tokenTenantId();
    const { live, owners } = await readLiveIncludingOwnCreates(graph, { redis, keys, target: target.name, tenantId: tokenTenantId, lock, logger: log });
    const owned = await readOwnedRanges(redis, keys, target.name);
    const grace = { firstAbsent: await readGrace(redis, keys, target.name), now: (options.now ?? Date.now)(), neverHold: allowed.cidrs };
    const objectOwners = classifyOwners(config, target, tokenTenantId, live, owners);
    const killSwitch = await readKillSwitch(redis, keys, target.name);
    const t2 = performance.now();
    const plan = planReconcile({ target, desired: prepared.desired, trimmed, live, owned, manual: options.manual, force: options.force, tokenTenantId, objectOwners, grace, ...(killSwitch ? { killSwitch } : {}) });
    if (pin) plan.warnings.unshift(pinWarning(target.name, pin, log));
    for (const w of plan.warnings) log.warn(w, { target: target.name });
    log.info('reconcile planned', { target: target.name, dryRun: options.dryRun, ...plan.summary, overflow: plan.overflow.total });
    const historyFrom = historyShareOf(options, lock, plan, prepared);
    planned();
    const t3 = performance.now();
    let applied: ApplyResult | undefined;
    let whatIf: WhatIfReport | undefined;
    if (lock) {
      if (options.pinTo && plan.refusals.length === 0) await writePin(redis, keys, lock, options.pinTo);
      await updateGrace(redis, keys, lock, { start: plan.grace.start });
      const deps = { graph, redis, keys, lock, logger: log, ownership: { tenantId: tokenTenantId }, target, prefix: config.redis.prefix, ...(options.onSafetyAlert ? { onAlert: options.onSafetyAlert } : {}), ...options.apply };
      const done = await applyWithWhatIf(plan, deps, log);
      ({ applied, whatIf } = done);
      await updateGrace(redis, keys, lock, { forget: plan.grace.forget });
      await writeTargetStatus(redis, keys, target.name, finalStateOf(done.appliedPlan, live, tokenTenantId, new Date()));
      await rememberPolicyId(redis, keys, target.name, done.applied.policyId);
      log.info('reconcile applied', { target: target.name, steps: done.applied.steps.length, graphWrites: done.applied.graphWrites, ...(done.refused ? { enableRefused: true } : {}) });
      if (options.history && historyFrom) {
        await recordInHistory(options, lock, log, { run: options.history.run, kind: options.history.kind, at: new Date().toISOString(), plan: done.appliedPlan, live, from: historyFrom, pinnedTo: pin?.run });
      }
      if (done.refused) throw done.refused; // a What If refusal: what was written is recorded above
    }
    return {
      target: target.name,
      dryRun: options.dryRun,
      desiredFrom,
      pinned: pin && { run: pin.run, at: pin.at },
      snapshots,
      desiredBeforeNeverBlock: rawCount + (trimmed?.total ?? 0),
      whitelist: allowed.whitelist,
      plan,
      applied,
      whatIf,
      timings: { desiredMs: Math.round(t1 - t0), readMs: Math.round(t2 - t1), planMs: Math.round(t3 - t2), applyMs: Math.round(performance.now() - t3) },
    };
  } finally {
    clearInterval(heartbeat);
    await lock?.release();
  }
}

/**
 * What the history keeps of the desired set (source indexes of the added ranges), taken before the
 * apply; the desired set is then dropped, so it is not live through the apply. The plan's working
 * set (its index of every range) is released first (observability/heap-release.ts).
 */
function historyShareOf(options: ReconcileTargetOptions, lock: TargetLock | undefined, plan: Plan, prepared: { desired: readonly DesiredRange[]; snapshots: SnapshotUse[] }) {
  releaseHeap();
  const from = lock && options.history && plan.steps.length > 0 ? historySourcesOf(plan, prepared.desired, prepared.snapshots) : undefined;
  prepared.desired = [];
  return from;
}

interface ResolvedDesired {
  raw: readonly DesiredRange[];
  snapshots: SnapshotUse[];
  desiredFrom: ReconcileResult['desiredFrom'];
  pin: Pin | undefined;
  /** The fan-in's ranges left out over capacity (`keepTop`, desired-ranges.ts). */
  trimmed: TrimmedDesired | undefined;
}

/** Desired before the subtractions: the override, else the pin (given or stored), else the snapshots' fan-in (trimmed to `keepTop`). */
async function resolveDesired(options: ReconcileTargetOptions, keepTop: number | undefined): Promise<ResolvedDesired> {
  if (options.desired) return { raw: options.desired, snapshots: [], desiredFrom: 'override', pin: undefined, trimmed: undefined };
  const pin = options.pinTo ?? (await readPin(options.redis, options.keys, options.targetName));
  if (pin) {
    const sources = [`pinned:${pin.run}`];
    const snapshots = await readSnapshotUses(options.redis, options.keys, options.config, options.targetName);
    return { raw: pin.ranges.map((cidr) => ({ cidr, weight: 0, sources })), snapshots, desiredFrom: 'pinned', pin, trimmed: undefined };
  }
  const built = await buildDesiredFromSnapshots(options.redis, options.keys, options.config, options.targetName, keepTop);
  return { raw: built.desired, snapshots: built.snapshots, desiredFrom: 'snapshots', pin: undefined, trimmed: built.trimmed };
}

/** True when the stored pin is no longer the one desired was built with (never with an override or a rollback's own pin). */
async function pinChangedSince(options: ReconcileTargetOptions, used: Pin | undefined): Promise<boolean> {
  if (options.desired || options.pinTo) return false;
  const now = await readPin(options.redis, options.keys, options.targetName);
  return now?.run !== used?.run || now?.at !== used?.at;
}

function pinWarning(target: string, pin: Pin, log: Logger): string {
  log.warn('target pinned: desired = the pinned run', { target, pinnedTo: pin.run, pinnedAt: pin.at });
  return `target pinned to run ${pin.run} since ${pin.at}: desired = the ${pin.ranges.length} range(s) that run left; scheduled runs do not change it (tq-entra unpin --target ${target})`;
}

/** Record the applied run in the target's history; a failure is logged, never thrown (Entra is already written). */
async function recordInHistory(options: ReconcileTargetOptions, lock: TargetLock, log: Logger, input: Parameters<typeof buildHistoryEntry>[0]): Promise<void> {
  try {
    const { entry, head } = buildHistoryEntry(input);
    await recordHistory(options.redis, options.keys, lock, entry, head, options.config.history);
  } catch (e) {
    log.error('history not recorded', { target: lock.target, run: input.run, error: e instanceof Error ? e.message : String(e) });
  }
}
