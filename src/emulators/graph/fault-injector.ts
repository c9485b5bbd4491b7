/**
 * Scripted faults for the Graph endpoints: each rule matches by method, path substring and (optional)
 * the caller's tenant, and fires
 * `times` times (default 1), in the order rules were added. A rule answers with `status` (429 with
 * optional Retry-After, 503 `serviceNotAvailable` with optional Retry-After, 504, 500), or resets the
 * connection (`reset`), or delays the response (`delayMs`, then normal processing or `status`).
 * Faulted requests do not touch the throttle bucket or the state.
 *
 * Random mode (`setRandom({ p429: 0.3, p503: 0.05, seed: 7 })`, random-faults.ts): when no scripted
 * rule matches, each Graph request rolls a seeded PRNG and may get a 429/500/503/504 (Retry-After only
 * when `retryAfterSeconds` is set; `tenantId` limits it to one tenant's requests). Scripted rules always take precedence; `clear()` drops both.
 */
import { RandomFaults, type RandomFaultConfig, type RandomFaultState } from '../random-faults.ts';

export interface FaultRule {
  method?: string;
  /** Substring of the request path (e.g. `/namedLocations`). */
  path?: string;
  /** Only requests of this tenant (the token's). */
  tenantId?: string;
  status?: number;
  retryAfterSeconds?: number;
  reset?: boolean;
  delayMs?: number;
  times?: number;
}

export interface PendingFault extends FaultRule {
  remaining: number;
}

export class FaultInjector {
  private rules: PendingFault[] = [];
  private random: RandomFaults | undefined;

  /** Start (or, with undefined, stop) random faults. Throws on a bad configuration. */
  setRandom(config: RandomFaultConfig | undefined): void {
    this.random = config === undefined ? undefined : new RandomFaults(config);
  }

  /** The random mode in force (configuration, rolls, faults fired), if any. */
  randomState(): RandomFaultState | undefined {
    return this.random?.state();
  }

  add(rules: readonly FaultRule[]): void {
    for (const r of rules) {
      if (r.status === undefined && !r.reset && r.delayMs === undefined) {
        throw new Error('a fault needs status, reset or delayMs');
      }
      this.rules.push({ ...r, remaining: r.times ?? 1 });
    }
  }

  /** The fault for this request of `tenantId`, consumed; undefined when none matches. */
  take(method: string, path: string, tenantId?: string): FaultRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (!r.method || r.method.toUpperCase() === method) &&
        (!r.path || path.includes(r.path)) &&
        (!r.tenantId || r.tenantId.toLowerCase() === tenantId?.toLowerCase()),
    );
    if (!rule) {
      const status = this.random?.roll(method, path, tenantId);
      if (status === undefined) return undefined;
      const retryAfterSeconds = this.random?.retryAfterSeconds;
      return retryAfterSeconds === undefined ? { status } : { status, retryAfterSeconds };
    }
    rule.remaining--;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return rule;
  }

  pending(): PendingFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
    this.random = undefined;
  }
}
