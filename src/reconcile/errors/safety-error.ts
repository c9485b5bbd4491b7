/**
 * Base of every safety refusal (safety-*-error.ts): the reconcile refused to write because the run
 * looks wrong (empty feed, mass removal, wrong tenant, another target's object). Nothing was written;
 * never retried. Callers write `err instanceof SafetyError` (a run "refused", not "failed") instead
 * of matching `ERR_SAFETY_` codes.
 */
import { SyncError, type SyncErrorOptions } from '../../errors/sync-error.ts';
import type { ErrorCode } from '../../errors/error-codes.ts';

export type SafetyErrorCode = Extract<ErrorCode, `ERR_SAFETY_${string}`>;

export abstract class SafetyError extends SyncError {
  declare readonly code: SafetyErrorCode;

  constructor(code: SafetyErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(code, message, options);
  }
}
