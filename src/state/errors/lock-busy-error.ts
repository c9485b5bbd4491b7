/**
 * ERR_LOCK_BUSY: another reconcile of the target holds its lock (target-lock.ts). The reconcile
 * worker delays the job; retryable.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class LockBusyError extends SyncError {
  constructor(target: string) {
    super('ERR_LOCK_BUSY', `another reconcile of target "${target}" is running`, { details: { target } });
  }
}
