/**
 * The removal-grace phase of the plan (the decision itself is removal-grace.ts): before placement,
 * which ranges are held (from the target's shards, the owned record, the grace record, the clock, and
 * the never-block CIDRs: safety.neverBlock plus the caller's `grace.neverHold`); after placement, the
 * report: held ranges that did not fit the target's capacity are not held but removed (they weigh
 * lowest, so they go before any desired range), named in one warning, and their record entries
 * forgotten. Pure.
 */
import { decideRemovalGrace, type GraceDecision } from './removal-grace.ts';
import type { LocationPlan } from './plan-locations.ts';
import type { LiveLocation, PlanGrace, PlanInput, PlanMode } from './plan-types.ts';

/** The grace in force for this plan: only in mirror mode, with removalGrace and a grace record given. */
export function graceMsOf(input: PlanInput, mode: PlanMode): number {
  return mode === 'mirror' && input.grace ? (input.target.removalGrace ?? 0) : 0;
}

/** Which ranges are held, which expired, and the desired set with the held ranges in. */
export function decideGrace(input: PlanInput, shards: ReadonlyMap<number, LiveLocation>, mode: PlanMode): GraceDecision {
  const graceMs = graceMsOf(input, mode);
  const present: string[] = [];
  if (graceMs > 0) for (const l of shards.values()) for (const r of l.ranges) if (input.owned.has(r)) present.push(r);
  const neverHold = [...input.target.safety.neverBlock, ...(input.grace?.neverHold ?? [])];
  return decideRemovalGrace({ desired: input.desired, present, firstAbsent: input.grace?.firstAbsent ?? new Map(), now: input.grace?.now ?? 0, graceMs, neverHold });
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The plan's grace report, once placement is known (held ranges that did not fit are removed). */
export function graceReport(decision: GraceDecision, graceMs: number, loc: LocationPlan, warnings: string[]): PlanGrace {
  const held = decision.held.filter((h) => loc.isFinal(h.cidr));
  const pushedOut = decision.held.filter((h) => !loc.isFinal(h.cidr)).map((h) => h.cidr);
  if (pushedOut.length > 0) {
    warnings.push(`${pushedOut.length} range(s) in removal grace do not fit the target's capacity beside the desired ranges and are removed before their grace ends`);
  }
  const out = new Set(pushedOut);
  const started = new Set(decision.start.map((s) => s.cidr));
  return {
    graceMs,
    held: held.map((h) => ({ cidr: h.cidr, absentSince: iso(h.since), expiresAt: iso(h.expiresAt) })),
    expired: decision.expired,
    neverBlocked: decision.neverBlocked,
    // A range pushed out is removed now: not started, and forgotten when it was recorded.
    start: decision.start.filter((s) => !out.has(s.cidr)),
    forget: [...decision.forget, ...pushedOut.filter((c) => !started.has(c))],
  };
}
