/**
 * The write-back processor: the write-back stage (src/pipeline/stages/writeback/run-writeback.ts) on
 * a BullMQ job. Its errors become BullMQ signals in workers/job-signals.ts like every processor's: a
 * write refused for lack of permission (ERR_THREATQ_WRITE_REFUSED, 403; a 400/422 on one indicator
 * only skips that indicator), bad credentials or a vanished source fail the job at once; ThreatQ unavailable through every retry (ERR_THREATQ_UNAVAILABLE) uses the job's attempts.
 */
import type { Job } from 'bullmq';
import type { WriteBackJobData } from '../src/pipeline/queues.ts';
import { runWriteBack, type WriteBackSummary } from '../src/pipeline/stages/writeback/run-writeback.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';

export function processWriteBack(job: Job<WriteBackJobData>, deps: StageDeps): Promise<WriteBackSummary> {
  return runWriteBack(job, deps);
}
