/** One of the service's HTTP servers (dashboard, worker health) could not bind its address (in use, not permitted). */
import { SyncError } from '../../errors/sync-error.ts';

export class ListenError extends SyncError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('ERR_OPS_LISTEN', message, options);
  }
}
