/** The ingest processor: the ingest stage (src/pipeline/stages/ingest/run-ingest.ts) on one chunk job. */
import type { Job } from 'bullmq';
import type { IngestJobData, IngestResult } from '../src/pipeline/queues.ts';
import { runIngest } from '../src/pipeline/stages/ingest/run-ingest.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';

export function processIngest(job: Job<IngestJobData>, deps: StageDeps): Promise<IngestResult> {
  return runIngest(job.data, deps);
}
