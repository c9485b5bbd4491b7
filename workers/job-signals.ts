/**
 * The one place where errors become BullMQ signals (style principle 4).
 *
 *   GraphThrottledError (a request still throttled after all its attempts; single 429s are waited out
 *                                      in the reconcile, src/pipeline/stages/reconcile/)
 *                                    → queue.rateLimit(retryAfterMs) + RateLimitError: the whole queue
 *                                      pauses cluster-wide, the job runs again after the wait and keeps
 *                                      its attempts
 *   not retryable                    → FinalJobError (a BullMQ UnrecoverableError): the job fails at
 *                                      once with the error's code and message (Microsoft's validation
 *                                      text, a safety refusal, a missing collection, bad credentials)
 *   anything else                    → rethrown: the job's attempts and exponential backoff apply
 *
 * Retryable is `SyncError.retryable` and nothing else (the code table in src/errors/error-codes.ts
 * decides it, by HTTP status for the codes it marks so); an error that is not a SyncError is retried.
 */
import { RateLimitError, UnrecoverableError, type Queue } from 'bullmq';
import type { ErrorCode } from '../src/errors/error-codes.ts';
import { SyncError, coerceError, errorCodeOf } from '../src/errors/sync-error.ts';
import { GraphThrottledError } from '../src/graph/errors/graph-throttled-error.ts';
import { redactString } from '../src/observability/secrets.ts';

/** The wait when a throttled error names none. */
const DEFAULT_THROTTLE_WAIT_MS = 1000;

/**
 * The UnrecoverableError thrown for a SyncError that is not retryable: BullMQ fails the job at once
 * (it checks `instanceof UnrecoverableError`; the name stays 'UnrecoverableError' for the code that
 * checks names). The code travels as a field, the error as `cause`; the message is `describeError`'s.
 */
export class FinalJobError extends UnrecoverableError {
  readonly code: ErrorCode;

  constructor(error: SyncError) {
    super(describeError(error));
    this.name = 'UnrecoverableError';
    this.code = error.code;
    this.cause = error;
  }
}

export function isRetryable(err: Error): boolean {
  if (err instanceof UnrecoverableError) return false;
  return err instanceof SyncError ? err.retryable : true;
}

function throttleWaitMs(err: Error): number | undefined {
  if (!(err instanceof GraphThrottledError)) return undefined;
  return err.retryAfterMs > 0 ? err.retryAfterMs : DEFAULT_THROTTLE_WAIT_MS;
}

/** A one-line, secret-free description: `<code>: <message>`. */
export function describeError(err: Error): string {
  const code = err instanceof SyncError ? `${err.code}: ` : '';
  return redactString(`${code}${err.message}`);
}

/**
 * The code of a failed job's error as a processor or BullMQ hands it back: a SyncError's code, the code
 * a FinalJobError carries, else `fallback`.
 */
export function jobErrorCode(err: unknown, fallback: ErrorCode = 'ERR_RUN_FAILED'): ErrorCode {
  return err instanceof FinalJobError ? err.code : errorCodeOf(err, fallback);
}

/** Translate a processor failure into what BullMQ should do with the job. Always throws. */
export async function throwJobSignal(error: unknown, queue: Queue | undefined, onPause?: (ms: number) => Promise<void>): Promise<never> {
  const err = coerceError(error);
  const wait = throttleWaitMs(err);
  if (wait !== undefined && queue !== undefined) {
    await queue.rateLimit(wait);
    await onPause?.(wait);
    throw new RateLimitError();
  }
  if (!isRetryable(err)) throw err instanceof SyncError ? new FinalJobError(err) : new UnrecoverableError(describeError(err));
  throw err;
}
