/**
 * ERR_NOTIFY_UNKNOWN_TARGET: a queued notification names a `notify:` target the configuration no
 * longer has (removed or renamed since the job was made), or holds an event kind this version does not
 * know. Not retryable: the same job would meet the same configuration.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class NotifyUnknownTargetError extends SyncError {
  constructor(message: string) {
    super('ERR_NOTIFY_UNKNOWN_TARGET', message);
  }
}
