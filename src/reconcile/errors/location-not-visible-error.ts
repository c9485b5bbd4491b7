/**
 * A named location this run created never became readable (GET kept answering 404) within the
 * bounded wait, so the policy was not pointed at it. The location exists and is recorded; the next
 * run finds it by name and completes the policy.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class LocationNotVisibleError extends SyncError {
  constructor(displayName: string, id: string, waitedMs: number) {
    super(
      'ERR_RECONCILE_NOT_VISIBLE',
      `named location "${displayName}" (${id}) was created but Graph did not return it within ${Math.round(waitedMs / 1000)}s; ` +
        'the policy was not changed (the next run completes it)',
      { details: { displayName, id, waitedMs } },
    );
  }
}
