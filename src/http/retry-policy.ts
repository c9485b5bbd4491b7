/**
 * The retry policy as data plus pure functions, shared by the ThreatQ and Graph clients.
 *
 * Retryable: HTTP 408, 429, 500, 502, 503, 504 and network errors (resets, timeouts, refused).
 * Delay: `Retry-After` when the server sends it (seconds or HTTP date), else full-jitter exponential
 * backoff `random(0, min(maxDelayMs, baseDelayMs * 2^(attempt-1)))`, never below `minDelayMs`.
 * A server asking for more than `maxRetryAfterMs` is not waited for (the caller gives up or, for
 * Graph 429s in a worker, hands the wait to the queue).
 *
 * `nextRetry` is the one retry decision of every hand-written loop (ThreatQ transport, ThreatQ page
 * re-requests, Graph requester): after a failed attempt, wait this long, or stop and say why: attempts
 * used up, a Retry-After longer than allowed, or a wait that would cross the overall deadline (the
 * loop gives up at once rather than sleep in vain). The loops are plain `for` loops, not p-retry: see
 * the README's "Dependencies" for why.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_GOT_REQUEST_ERROR',
]);

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs: number;
  /** Overall budget for one logical request, all attempts and waits included. */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 2000,
  minDelayMs: 250,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
  deadlineMs: 600_000,
});

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableNetworkCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * Parse a Retry-After header: delta-seconds or an HTTP date. Returns milliseconds (>= 0) or undefined
 * when absent or malformed.
 */
export function parseRetryAfter(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The wait before attempt `attempt + 1`, after `attempt` (1-based) failed. `retryAfterMs` is the
 * server's wish when it sent one. Returns undefined when the server asks for longer than the policy
 * allows. `random` is injectable for tests.
 */
export function computeRetryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > policy.maxRetryAfterMs) return undefined;
    return Math.max(retryAfterMs, policy.minDelayMs);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(policy.minDelayMs, Math.round(random() * ceiling));
}

/** Why a loop stops retrying: attempts used up, Retry-After longer than allowed, or the deadline. */
export type RetryStop = 'attempts' | 'retry-after' | 'deadline';

/**
 * After attempt `attempt` (1-based) failed, `elapsedMs` after the first attempt began: the wait before
 * the next attempt, or why there is none. Checked in this order: attempts (`maxAttempts` in all),
 * the server's Retry-After against `maxRetryAfterMs` (computeRetryDelay), then `deadlineMs`, which the
 * wait must not cross.
 */
export function nextRetry(
  attempt: number,
  retryAfterMs: number | undefined,
  elapsedMs: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): { waitMs: number } | { stop: RetryStop } {
  if (attempt >= policy.maxAttempts) return { stop: 'attempts' };
  const waitMs = computeRetryDelay(attempt, retryAfterMs, policy, random);
  if (waitMs === undefined) return { stop: 'retry-after' };
  if (elapsedMs + waitMs > policy.deadlineMs) return { stop: 'deadline' };
  return { waitMs };
}
