import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, computeRetryDelay, isRetryableNetworkCode, isRetryableStatus, nextRetry, parseRetryAfter } from '../../src/http/retry-policy.ts';

describe('retry policy', () => {
  it('classifies statuses and network codes', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 400, 401, 403, 404, 409, 501]) expect(isRetryableStatus(s)).toBe(false);
    expect(isRetryableNetworkCode('ECONNRESET')).toBe(true);
    expect(isRetryableNetworkCode('ERR_TLS_CERT_ALTNAME_INVALID')).toBe(false);
    expect(isRetryableNetworkCode(undefined)).toBe(false);
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('10', now)).toBe(10_000);
    expect(parseRetryAfter(['3'], now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });

  it('honours Retry-After, bounded by maxRetryAfterMs', () => {
    expect(computeRetryDelay(1, 5000)).toBe(5000);
    expect(computeRetryDelay(1, 0)).toBe(DEFAULT_RETRY_POLICY.minDelayMs);
    expect(computeRetryDelay(1, DEFAULT_RETRY_POLICY.maxRetryAfterMs + 1)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped', () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1000, maxDelayMs: 8000, minDelayMs: 0 };
    expect(computeRetryDelay(1, undefined, p, () => 1)).toBe(1000);
    expect(computeRetryDelay(2, undefined, p, () => 1)).toBe(2000);
    expect(computeRetryDelay(3, undefined, p, () => 1)).toBe(4000);
    expect(computeRetryDelay(10, undefined, p, () => 1)).toBe(8000);
    expect(computeRetryDelay(3, undefined, p, () => 0.5)).toBe(2000);
    expect(computeRetryDelay(3, undefined, { ...p, minDelayMs: 300 }, () => 0)).toBe(300);
  });

  it('decides the next retry: a wait, or why the loop stops (attempts, Retry-After, deadline)', () => {
    const p = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 8000, minDelayMs: 0, maxRetryAfterMs: 10_000, deadlineMs: 20_000 };
    expect(nextRetry(1, undefined, 0, p, () => 1)).toEqual({ waitMs: 1000 });
    expect(nextRetry(2, 7000, 0, p, () => 1)).toEqual({ waitMs: 7000 });
    expect(nextRetry(3, undefined, 0, p, () => 1)).toEqual({ stop: 'attempts' });
    expect(nextRetry(3, 60_000, 0, p, () => 1)).toEqual({ stop: 'attempts' }); // attempts are checked first
    expect(nextRetry(1, 10_001, 0, p, () => 1)).toEqual({ stop: 'retry-after' });
    expect(nextRetry(1, 5000, 15_000, p, () => 1)).toEqual({ waitMs: 5000 }); // ends exactly at the deadline
    expect(nextRetry(1, 5000, 15_001, p, () => 1)).toEqual({ stop: 'deadline' });
  });
});
