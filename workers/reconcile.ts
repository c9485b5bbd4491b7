/**
 * The reconcile processor: the reconcile stage (src/pipeline/stages/reconcile/run-reconcile.ts) on a
 * BullMQ job. A busy target lock (another process is reconciling the same target) delays the job by
 * LOCK_BUSY_DELAY_MS without using an attempt (DelayedError).
 */
import { DelayedError, type Job } from 'bullmq';
import type { ReconcileJobData } from '../src/pipeline/queues.ts';
import { LockBusyError } from '../src/state/errors/lock-busy-error.ts';
import { runReconcile, type ReconcileSummary } from '../src/pipeline/stages/reconcile/run-reconcile.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';

export const LOCK_BUSY_DELAY_MS = 3000;

export async function processReconcile(job: Job<ReconcileJobData>, token: string | undefined, deps: StageDeps): Promise<ReconcileSummary> {
  try {
    return await runReconcile(job, deps);
  } catch (e) {
    if (!(e instanceof LockBusyError) || token === undefined) throw e;
    await job.moveToDelayed(Date.now() + LOCK_BUSY_DELAY_MS, token);
    throw new DelayedError();
  }
}
