/**
 * The one place where errors become BullMQ signals (style principle 4).
 *
 *   GraphThrottledError (a request still throttled after all its attempts; single 429s are waited out
 *                                      in the reconcile, workers/reconcile.ts)
 *                                    → queue.rateLimit(wait) + RateLimitError: the whole queue pauses
 *                                      cluster-wide, the job runs again after the wait and keeps its
 *                                      attempts
 *   not retryable                    → UnrecoverableError: the job fails at once with the error's code
 *                                      and message (Microsoft's validation text, a safety refusal, a
 *                                      missing collection, bad credentials)
 *   anything else                    → rethrown: the job's attempts and exponential backoff apply
 *
 * Retryable is decided by `SyncError.retryable` when the error sets it, else by an HTTP status the
 * error carries (408, 429 and 5xx retry; other 4xx do not), else by the code table below.
 */
import { RateLimitError, UnrecoverableError, type Queue } from 'bullmq';
import { SyncError, coerceError } from '../src/errors/sync-error.ts';
import { isRetryableStatus } from '../src/http/retry-policy.ts';
import { redactString } from '../src/observability/secrets.ts';

const UNRECOVERABLE_CODE = /^ERR_(CONFIG_|SAFETY_|USAGE|GRAPH_VALIDATION|GRAPH_PERMISSION|GRAPH_AUTH|GRAPH_INPUT|THREATQ_NOT_FOUND|THREATQ_AUTH|THREATQ_CONFIG|THREATQ_FORBIDDEN|SOURCE_UNKNOWN|UNKNOWN_)/;

export function isRetryable(err: Error): boolean {
  if (err instanceof UnrecoverableError) return false;
  if (!(err instanceof SyncError)) return true;
  if (err.retryable !== undefined) return err.retryable;
  const status = (err as SyncError & { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 600) return isRetryableStatus(status) || status >= 500;
  return !UNRECOVERABLE_CODE.test(err.code);
}

function throttleWaitMs(err: Error): number | undefined {
  if (err instanceof SyncError && err.code === 'ERR_GRAPH_THROTTLED') {
    const ms = (err as SyncError & { retryAfterMs?: unknown }).retryAfterMs;
    return typeof ms === 'number' && ms > 0 ? ms : 1000;
  }
  return undefined;
}

/** A one-line, secret-free description: `ERR_CODE: message`. */
export function describeError(err: Error): string {
  const code = err instanceof SyncError ? `${err.code}: ` : '';
  return redactString(`${code}${err.message}`);
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
  if (!isRetryable(err)) throw new UnrecoverableError(describeError(err));
  throw err;
}
