/**
 * The collect processor: the collect stage (src/pipeline/stages/collect/run-collect.ts) on a BullMQ
 * job. The job is the parent of its ingest chunks; while they run, the stage answers `waiting` and the
 * job goes to BullMQ's waiting-children state (WaitingChildrenError) until the last one is done.
 *
 * Every write to the job (data, progress) and every child or commit is fenced by the job's lock:
 * `job.extendLock(token)` renews it only while it still holds this worker's token, else the attempt
 * throws JobLockLostError (a Redis failover or a long pause let the lock expire, and another worker
 * may have taken the job over as stalled). workers/job-signals.ts then has BullMQ leave the job alone.
 */
import { WaitingChildrenError, type Job } from 'bullmq';
import { SyncError } from '../src/errors/sync-error.ts';
import type { CollectJobData } from '../src/pipeline/queues.ts';
import { runCollect, type CollectResult } from '../src/pipeline/stages/collect/run-collect.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';
import type { CollectJob } from '../src/pipeline/stages/stage-job.ts';
import { JobLockLostError } from '../src/pipeline/errors/job-lock-lost-error.ts';

export async function processCollect(job: Job<CollectJobData>, token: string | undefined, deps: StageDeps): Promise<CollectResult> {
  const outcome = await runCollect(asCollectJob(job, token, deps.config.worker.lockDurationMs), deps);
  if (outcome.status === 'waiting') throw new WaitingChildrenError();
  return outcome.result;
}

/** The BullMQ job as the stage sees it: a parent that can wait for its children. */
function asCollectJob(job: Job<CollectJobData>, token: string | undefined, lockMs: number): CollectJob<CollectJobData> {
  // Without a token (a processor called outside a Worker) there is no lock to hold.
  const ensureLock = async (doing: string): Promise<void> => {
    if (token !== undefined && (await job.extendLock(token, lockMs)) !== 1) throw new JobLockLostError(job.id, doing);
  };
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
    updateData: async (data) => {
      await ensureLock('update its data');
      await job.updateData(data);
    },
    updateProgress: async (progress) => {
      await ensureLock('report progress');
      await job.updateProgress(progress);
    },
    ensureLock,
    moveToWaitingChildren: () => {
      if (token === undefined) throw new SyncError('ERR_INTERNAL', 'collect job processed without a lock token');
      return job.moveToWaitingChildren(token);
    },
  };
}
