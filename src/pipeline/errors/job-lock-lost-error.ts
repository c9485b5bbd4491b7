/**
 * ERR_JOB_LOCK_LOST: the worker processing a queue job no longer holds its BullMQ lock (its token no
 * longer matches: the lock expired during a Redis failover or a long pause, and another worker may
 * already have taken the job over as stalled). The attempt must stop touching the job at once: no
 * job data, progress, children, commit or state move with the stale token. workers/job-signals.ts
 * turns it into a signal on which BullMQ leaves the job alone (never failed, never delayed).
 */
import { SyncError } from '../../errors/sync-error.ts';

export class JobLockLostError extends SyncError {
  constructor(jobId: string | undefined, doing: string) {
    super('ERR_JOB_LOCK_LOST', `job ${jobId ?? '?'}: this worker lost the job's lock (${doing}); it stops, and the job runs again elsewhere`);
  }
}
