/**
 * The reconcile processor: the reconcile stage (src/pipeline/stages/reconcile/run-reconcile.ts) on a
 * BullMQ job. Its two delays (a busy target lock; a tenant Graph kept throttling through every attempt
 * of a request) are job signals (job-signals.ts): the job is delayed, its attempts kept.
 */
import type { Job } from 'bullmq';
import type { ReconcileJobData } from '../src/pipeline/queues.ts';
import { runReconcile, type ReconcileSummary } from '../src/pipeline/stages/reconcile/run-reconcile.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';

export function processReconcile(job: Job<ReconcileJobData>, deps: StageDeps): Promise<ReconcileSummary> {
  return runReconcile(job, deps);
}
