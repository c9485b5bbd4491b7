/**
 * `notify(deps, event)`: the one way to raise a notification. It never sends and never throws: for
 * each `notify:` target that wants the event (its `events` filter and thresholds: notify-events.ts
 * `qualifies`) it claims the condition's dedup window in Redis (`SET NX PX window`, key
 * `<prefix>:notify:window:<target>:<condition>`) and, when the claim is new, queues one job on the
 * `notify` queue (pipeline/producer.ts `enqueueNotify`); a claim already held means the condition was
 * notified within the window (counted `suppressed`). What the caller waits for is a Redis round trip
 * or two per target, never a delivery: a slow or dead receiver cannot delay a reconcile. A failure to
 * queue gives the claim back and is logged (the caller's work goes on).
 *
 * The job names the target; the worker (workers/notify.ts → deliver-notification.ts) reads its URL
 * from the configuration: webhook URLs are credentials and never enter job data or Redis.
 *
 * Wiring: failed and refused runs (workers/notify-run-end.ts), large change and capacity after each
 * successful reconcile (`notifyAfterReconcile`, workers/reconcile.ts). The kill switch, rollback and
 * What If raise their events with one call: `await notify(deps, { kind: 'rollback', … })`; the kill
 * switch's callers (cli/kill-switch.ts, dashboard/kill-switch-page.ts) through `notifyKillSwitch`.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { findTarget } from '../config/find-target.ts';
import type { Config, NotifyTargetConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { recordNotification } from '../observability/metrics-store.ts';
import { recordedKillSwitch, type KillSwitchOutcome } from '../pipeline/kill-switch.ts';
import { errorCodeOf } from '../errors/sync-error.ts';
import { enqueueNotify } from '../pipeline/producer.ts';
import type { Queues } from '../pipeline/queues.ts';
import type { ReconcileSummary } from '../pipeline/stages/reconcile/record-reconcile.ts';
import { conditionOf, qualifies, type CapacityHighEvent, type LargeChangeEvent, type NotifyEvent } from './notify-events.ts';

export type { NotifyEvent, RunFailedEvent, RunRefusedEvent, LargeChangeEvent, CapacityHighEvent, KillSwitchEvent, RollbackEvent, WhatIfSurpriseEvent } from './notify-events.ts';

/** What notify needs (a stage's StageDeps, the CLI's or the dashboard's context satisfy it). */
export interface NotifyDeps {
  config: Config;
  redis: RedisClient;
  queues: Queues;
  logger: Logger;
}

/** The Redis key holding a condition's dedup window for one notify target. */
export function notifyWindowKey(prefix: string, target: string, condition: string): string {
  return `${prefix}:notify:window:${encodeURIComponent(target)}:${condition}`;
}

/** Raise `event`: queued once per wanting target and window. Resolves to the number of jobs queued; never rejects. */
export async function notify(deps: NotifyDeps, event: NotifyEvent): Promise<number> {
  const wanting = deps.config.notify.filter((t) => qualifies(event, t));
  if (wanting.length === 0) return 0;
  const at = new Date().toISOString();
  const condition = conditionOf(event);
  const log = deps.logger.child({ notify: event.kind });
  let queued = 0;
  for (const target of wanting) {
    try {
      if (await notifyTarget(deps, log, target, event, condition, at)) queued += 1;
    } catch (e) {
      log.warn('could not queue a notification (the run goes on)', { target: target.name, condition, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return queued;
}

async function notifyTarget(deps: NotifyDeps, log: Logger, target: NotifyTargetConfig, event: NotifyEvent, condition: string, at: string): Promise<boolean> {
  const prefix = deps.config.redis.prefix;
  const key = notifyWindowKey(prefix, target.name, condition);
  const claimed = await deps.redis.set(key, at, 'PX', target.window, 'NX');
  if (claimed === null) {
    log.info('notification suppressed: this condition was notified within the window', { target: target.name, condition });
    await recordNotification(deps.redis, prefix, { kind: target.kind, outcome: 'suppressed' }).catch(() => false);
    return false;
  }
  try {
    const jobId = await enqueueNotify(deps.queues, { target: target.name, at, event }, { attempts: target.attempts, backoffMs: target.backoff });
    log.info('notification queued', { target: target.name, condition, jobId });
    return true;
  } catch (e) {
    await deps.redis.del(key).catch(() => 0);
    throw e;
  }
}

/**
 * The conditions a successful reconcile may raise: a large change (ranges added + removed) and high
 * capacity (ranges held in the target's locations over maxLocations × maxRangesPerLocation, as the
 * `tq_entra_target_capacity_ratio` gauge); each target's thresholds decide (`qualifies`).
 */
export async function notifyAfterReconcile(deps: NotifyDeps, summary: Pick<ReconcileSummary, 'target' | 'runId' | 'added' | 'removed' | 'locations'>): Promise<void> {
  if (deps.config.notify.length === 0) return;
  const target = deps.config.targets.find((t) => t.name === summary.target);
  if (target === undefined) return; // reconciled a moment ago under this configuration: never the case
  const ranges = summary.locations.filter((l) => l.action !== 'delete').reduce((n, l) => n + l.size, 0);
  const large: LargeChangeEvent = { kind: 'large-change', target: summary.target, runId: summary.runId, added: summary.added, removed: summary.removed };
  const capacity: CapacityHighEvent = {
    kind: 'capacity-high',
    target: summary.target,
    runId: summary.runId,
    ranges,
    capacity: target.namedLocation.maxLocations * target.namedLocation.maxRangesPerLocation,
  };
  await notify(deps, large);
  await notify(deps, capacity);
}

/** The kill switch's event (`tq-entra disable`/`enable`, the dashboard's /kill-switch) once its PATCH is done. */
export async function notifyKillSwitch(deps: NotifyDeps, outcome: KillSwitchOutcome, req: { by: string; reason?: string }): Promise<void> {
  if (!outcome.changed) return;
  const engaged = outcome.killSwitch;
  const policyState = engaged ? engaged.state : (outcome.policy?.state ?? findTarget(deps.config, outcome.target).policy.state);
  const why = req.reason ?? engaged?.reason;
  await notify(deps, { kind: 'kill-switch', target: outcome.target, action: engaged ? 'engaged' : 'released', policyState, by: req.by, ...(why ? { reason: why } : {}) });
}

/**
 * Run a kill switch action (`engage` / `release`) and raise its notification whatever happens: done,
 * notifyKillSwitch; failed, what Redis records now — an engaged switch (recorded before the PATCH, so
 * in force for the next reconcile) or a released one (a refused checked enable leaves the policy
 * report-only) — is notified with the failure in the reason, then the error is thrown. A release
 * that failed with the switch still engaged changed nothing: no notification.
 */
export async function runKillSwitchNotified(deps: NotifyDeps, target: string, who: { by: string; reason?: string }, run: () => Promise<KillSwitchOutcome>): Promise<KillSwitchOutcome> {
  let outcome: KillSwitchOutcome | undefined;
  let failure: unknown;
  try {
    outcome = await run();
    return outcome;
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    const sent = outcome ? notifyKillSwitch(deps, outcome, who) : notifyKillSwitchFailure(deps, target, who, failure);
    await sent.catch((e: unknown) => deps.logger.warn('kill switch notification not queued', { target, error: (e as Error).message }));
  }
}

async function notifyKillSwitchFailure(deps: NotifyDeps, target: string, who: { by: string; reason?: string }, failure: unknown): Promise<void> {
  const code = errorCodeOf(failure);
  const ks = await recordedKillSwitch(deps.config, deps.redis, target);
  if (ks) {
    const reason = `${ks.reason} (switch recorded, but the policy PATCH failed: ${code}; the next reconcile applies the switch)`;
    await notify(deps, { kind: 'kill-switch', target, action: 'engaged', policyState: ks.state, by: ks.by, reason });
    return;
  }
  const reason = `${who.reason ?? ''} (switch released, but the enable did not complete: ${code}; the policy is not enabled)`.trim();
  await notify(deps, { kind: 'kill-switch', target, action: 'released', policyState: code === 'ERR_SAFETY_WHATIF' || code === 'ERR_SAFETY_LOCKOUT' ? 'enabledForReportingButNotEnforced' : 'unconfirmed', by: who.by, reason });
}
