/**
 * ERR_STAGING_LOST: a collect run's staged chunks vanished before its commit (expired or deleted).
 * Not retryable: the run is abandoned and the last good snapshot stays.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class StagingLostError extends SyncError {
  constructor(runId: string, missing: readonly number[]) {
    super('ERR_STAGING_LOST', `run ${runId}: staged chunks ${missing.slice(0, 10).join(', ')} are missing (expired or deleted); the run is abandoned and the last good snapshot kept`);
  }
}
