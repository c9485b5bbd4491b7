/** A reconcile was asked for a target name the configuration does not define. */
import { SyncError } from '../../errors/sync-error.ts';

export class UnknownTargetError extends SyncError {
  constructor(name: string, known: readonly string[]) {
    super('ERR_UNKNOWN_TARGET', `no target named "${name}" (configured: ${known.join(', ') || 'none'})`, {
      details: { target: name },
      retryable: false,
    });
  }
}
