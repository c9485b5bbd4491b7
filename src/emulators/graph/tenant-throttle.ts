/**
 * Per-tenant token bucket over all conditional access and named-location requests (graph-api.md
 * §9.4). Default 1 request/s, burst 1; `requestsPerSecond: 0` disables it. A throttled request still
 * costs: it empties the bucket's partial refill (tokens drop to 0), so a client that retries too soon
 * keeps being refused, while one that waits a full interval after its last request always gets in.
 */
import type { ThrottleConfig } from './emulator-options.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export class TenantThrottle {
  private readonly buckets = new Map<string, Bucket>();

  /** true when the request may proceed. */
  admit(tenantId: string, now: number, cfg: ThrottleConfig): boolean {
    if (!(cfg.requestsPerSecond > 0)) return true;
    const burst = Math.max(1, cfg.burst);
    const b = this.buckets.get(tenantId) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * cfg.requestsPerSecond);
    b.at = now;
    this.buckets.set(tenantId, b);
    // A tiny tolerance absorbs float rounding at exactly one interval.
    if (b.tokens >= 1 - 1e-9) {
      b.tokens -= 1;
      return true;
    }
    b.tokens = 0;
    return false;
  }

  reset(): void {
    this.buckets.clear();
  }
}
