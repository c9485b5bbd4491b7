/**
 * The reconcile processor: the reconcile stage (src/pipeline/stages/reconcile/run-reconcile.ts) on a
 * BullMQ job. The job's data is decoded first (src/pipeline/job-data.ts): data the producer never
 * makes (a hand-added `force: true`, an unknown field) fails the job with ERR_JOB_DATA, nothing written.
 * Its two delays (a busy target lock; a tenant Graph kept throttling through every attempt of a
 * request) are job signals (job-signals.ts): the job is delayed, its attempts kept. A success raises
 * the large-change and capacity notifications its `notify:` targets' thresholds ask for
 * (src/notify/notify.ts: queued, never sent here, never failing the reconcile), and a What If alert on
 * an enforced policy raises `what-if-surprise` (src/reconcile/what-if-guard.ts calls the hook).
 */
import type { Job } from 'bullmq';
import { notify, notifyAfterReconcile } from '../src/notify/notify.ts';
import { decodeReconcileJob } from '../src/pipeline/job-data.ts';
import { describeSurprise } from '../src/reconcile/errors/safety-what-if-error.ts';
import type { ReconcileJobData } from '../src/pipeline/queues.ts';
import { runReconcile, type ReconcileSummary } from '../src/pipeline/stages/reconcile/run-reconcile.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';

export async function processReconcile(job: Job<ReconcileJobData>, deps: StageDeps): Promise<ReconcileSummary> {
  decodeReconcileJob(job);
  const summary = await runReconcile(job, deps, {
    onSafetyAlert: async (alert) => {
      await notify(deps, { kind: 'what-if-surprise', target: alert.target, surprises: alert.surprises.map(describeSurprise), enforced: true });
    },
  });
  await notifyAfterReconcile(deps, summary);
  return summary;
}
