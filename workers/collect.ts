/**
 * The collect processor: the collect stage (src/pipeline/stages/collect/run-collect.ts) on a BullMQ
 * job. The job is the parent of its ingest chunks; while they run, the stage answers `waiting` and the
 * job goes to BullMQ's waiting-children state (WaitingChildrenError) until the last one is done.
 */
import { WaitingChildrenError, type Job } from 'bullmq';
import { SyncError } from '../src/errors/sync-error.ts';
import type { CollectJobData } from '../src/pipeline/queues.ts';
import { runCollect, type CollectResult } from '../src/pipeline/stages/collect/run-collect.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';
import type { CollectJob } from '../src/pipeline/stages/stage-job.ts';

export async function processCollect(job: Job<CollectJobData>, token: string | undefined, deps: StageDeps): Promise<CollectResult> {
  const outcome = await runCollect(asCollectJob(job, token), deps);
  if (outcome.status === 'waiting') throw new WaitingChildrenError();
  return outcome.result;
}

/** The BullMQ job as the stage sees it: a parent that can wait for its children. */
function asCollectJob(job: Job<CollectJobData>, token: string | undefined): CollectJob<CollectJobData> {
  return {
    get id() {
      return job.id;
    },
    get data() {
      return job.data;
    },
    get attemptsStarted() {
      return job.attemptsStarted;
    },
    parent: { id: job.id ?? '', queue: job.queueQualifiedName },
    updateData: (data) => job.updateData(data),
    updateProgress: (progress) => job.updateProgress(progress),
    moveToWaitingChildren: () => {
      if (token === undefined) throw new SyncError('ERR_INTERNAL', 'collect job processed without a lock token');
      return job.moveToWaitingChildren(token);
    },
  };
}
