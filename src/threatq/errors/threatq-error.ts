/**
 * Base of every ThreatQ client error (token, collection pages, transport, proxy tunnel):
 * `err instanceof ThreatQError` instead of matching `ERR_THREATQ_` codes. Codes are limited to the
 * table's `ERR_THREATQ_*` and `ERR_PROXY_*` entries.
 */
import { SyncError, type SyncErrorOptions } from '../../errors/sync-error.ts';
import type { ErrorCode } from '../../errors/error-codes.ts';

export type ThreatQErrorCode = Extract<ErrorCode, `ERR_THREATQ_${string}` | `ERR_PROXY_${string}`>;

export abstract class ThreatQError extends SyncError {
  declare readonly code: ThreatQErrorCode;

  constructor(code: ThreatQErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(code, message, options);
  }
}
