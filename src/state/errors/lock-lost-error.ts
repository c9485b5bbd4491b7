/**
 * ERR_LOCK_LOST: the reconcile lock of a target no longer holds this process's fencing token (paused
 * past its TTL, say), so this process stops writing (target-lock.ts). Retryable: the job runs again.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class LockLostError extends SyncError {
  constructor(target: string, token: number) {
    super('ERR_LOCK_LOST', `the reconcile lock of target "${target}" was lost (fencing token ${token} is no longer current)`, {
      details: { target, token },
    });
  }
}
