/**
 * Base of every Microsoft Graph error (sign-in, HTTP answers, pacing, consistency waits, values the
 * client refuses to send): `err instanceof GraphError` instead of matching `ERR_GRAPH_` codes.
 * Codes are limited to the table's `ERR_GRAPH_*` entries.
 */
import { SyncError, type SyncErrorOptions } from '../../errors/sync-error.ts';
import type { ErrorCode } from '../../errors/error-codes.ts';

export type GraphErrorCode = Extract<ErrorCode, `ERR_GRAPH_${string}`>;

export abstract class GraphError extends SyncError {
  declare readonly code: GraphErrorCode;

  constructor(code: GraphErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(code, message, options);
  }
}
