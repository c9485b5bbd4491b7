/**
 * ERR_STAGING_LOST: a collect run's staged chunks, or part of its staged whitelist, vanished before
 * its commit (expired or deleted). Not retryable: the run is abandoned and the last good snapshot (and
 * whitelist) stays. A whitelist committed short would block addresses ThreatQ says never to block.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class StagingLostError extends SyncError {
  constructor(runId: string, missing: readonly number[] | { whitelistStaged: number; whitelistFound: number }) {
    const what =
      'whitelistStaged' in missing
        ? `the staged whitelist holds ${missing.whitelistFound} of the ${missing.whitelistStaged} entries staged`
        : `staged chunks ${missing.slice(0, 10).join(', ')} are missing`;
    super('ERR_STAGING_LOST', `run ${runId}: ${what} (expired or deleted); the run is abandoned and the last good snapshot kept`);
  }
}
