/** A metrics-store function was called with a value it cannot record (negative count, empty name, …). */
import { SyncError } from '../../errors/sync-error.ts';

export class MetricsInputError extends SyncError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_METRICS_INPUT', message, { details });
  }
}
