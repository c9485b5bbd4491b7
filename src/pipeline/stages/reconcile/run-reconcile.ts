/**
 * The reconcile stage: one reconcile of one target (deduplicated per target by the producer,
 * serialised across processes by the target lock). Desired = fan-in of the committed snapshots of
 * every collection feeding the target; then plan and apply (src/reconcile/reconcile-target.ts) through
 * the Graph client in 'wait' mode: a Graph 429 records the tenant's pause in Redis (shared by every
 * process, growing over a streak of 429s) and this reconcile waits it out and goes on with the same
 * request, where it was. It does not start again from a fresh listing (at 30 % 429s a reconcile of
 * tens of requests restarted on every 429 would almost never finish), and it delays only this
 * tenant's work: other targets' reconciles in other slots go on. Only when one request stays
 * throttled through all its attempts does the GraphThrottledError reach the worker, whose job signals
 * (workers/job-signals.ts) delay this job alone for the tenant's block, attempts kept; the queue is
 * never paused, so other tenants' reconciles go on.
 *
 * A busy target lock (another process is reconciling the same target) is rethrown as it is
 * (LockBusyError, no run record): the worker delays the job by a few seconds without using an
 * attempt (job-signals.ts too). Every other end is one summary log line and a run record (record-reconcile.ts). A success
 * then queues the write-back to ThreatQ of the collections feeding the target that ask for it
 * (stages/writeback/enqueue-writeback.ts; its failures are only logged).
 */
import { coerceError } from '../../../errors/sync-error.ts';
import { reconcileTarget } from '../../../reconcile/reconcile-target.ts';
import type { WhatIfAlert } from '../../../reconcile/what-if-guard.ts';
import type { ReconcileJobData } from '../../queues.ts';
import { LockBusyError } from '../../../state/errors/lock-busy-error.ts';
import { writeRun } from '../../run-store.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { StageJob } from '../stage-job.ts';
import { openAttempt, type ReconcileAttempt } from './reconcile-attempt.ts';
import { recordFailed, recordSucceeded, type ReconcileSummary } from './record-reconcile.ts';
import { enqueueWriteBacksAfter } from '../writeback/enqueue-writeback.ts';

export type { ReconcileSummary } from './record-reconcile.ts';

/** What the worker hands in besides the stage deps: the notifications hook of a What If alert (src/pipeline never imports src/notify). */
export interface ReconcileHooks {
  onSafetyAlert?: (alert: WhatIfAlert) => Promise<void>;
}

export async function runReconcile(job: StageJob<ReconcileJobData>, deps: StageDeps, hooks: ReconcileHooks = {}): Promise<ReconcileSummary> {
  const attempt = await openAttempt(job, deps);
  await writeRun(deps.redis, deps.keys, attempt.record);
  await job.updateProgress({ step: 'reconcile', target: attempt.target.name });
  try {
    return await reconcileAndRecord(attempt, job, deps, hooks);
  } catch (e) {
    const err = coerceError(e);
    if (!(err instanceof LockBusyError)) await recordFailed(attempt, err, deps);
    throw err;
  }
}

async function reconcileAndRecord(attempt: ReconcileAttempt, job: StageJob<ReconcileJobData>, deps: StageDeps, hooks: ReconcileHooks): Promise<ReconcileSummary> {
  const { config } = deps;
  const result = await reconcileTarget({
    config,
    targetName: attempt.target.name,
    redis: deps.redis,
    keys: deps.keys,
    graph: attempt.graph,
    manual: job.data.manual,
    force: job.data.force,
    dryRun: false,
    lockWaitMs: 1000,
    // A dead holder frees the target within one worker lock duration (its job is retried by then).
    lockTtlMs: Math.max(10_000, config.worker.lockDurationMs),
    logger: attempt.log,
    ...(hooks.onSafetyAlert ? { onSafetyAlert: hooks.onSafetyAlert } : {}),
    history: { run: attempt.runId, kind: 'reconcile' },
  });
  const summary = await recordSucceeded(attempt, result, job, deps);
  await job.updateProgress({ step: 'done', ...summary });
  attempt.log.info('reconcile finished', { ...summary, overflowBySource: result.plan.overflow.bySource });
  await enqueueWriteBacksAfter(deps, attempt.target.name, attempt.log);
  return summary;
}
