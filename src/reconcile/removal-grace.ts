/**
 * Removal grace (anti-flap): the pure decision. A range that leaves a target's desired set stays
 * blocked until it has been absent for the target's `removalGrace`; then it goes, in the run that
 * finds it expired (one write of its location). A range that comes back within the grace costs no
 * write: it never left the location.
 *
 * Design (the store is src/state/grace-store.ts, the wiring reconcile-target.ts and plan.ts):
 * - State: one Redis hash per target, range → the time (epoch ms) a run first saw it absent. Only
 *   ranges currently in grace are in it (bounded memory): an entry is forgotten as soon as its range
 *   is desired again, is no longer in the target as ours, or has been removed after its expiry.
 * - Which ranges leave: the owned ranges present in the target's shards now (mirror mode removes only
 *   ranges this service wrote; `present`) that no desired range covers. Compared by address, not text:
 *   a range whose addresses are all still desired (a /25 now inside a desired /24) has not left; a
 *   /24 of which only a /25 is still desired has left, and is held whole (the desired /25 inside it
 *   rides along) until it expires, when the /24 is replaced by the /25 in one write.
 * - Held ranges join the desired set the plan places (`effective`) with the lowest weight
 *   (GRACE_WEIGHT, below every priority weight, which is ≥ 0: src/pipeline/priority.ts), so when the
 *   target is short of capacity they go first, before any desired range, those nearest their expiry
 *   first; a held range that carries desired ranges inside it takes their highest weight and their
 *   sources. Held ranges are already live, so holding them writes nothing; they are not "desired", so
 *   they never count as overflow, never make an empty feed non-empty for safety.refuseEmpty, and are
 *   never warned about as broad.
 * - Clock: the reconciling worker's (Date.now, injectable); workers on several hosts need synchronised
 *   clocks, a skew shifts expiries by as much.
 * - Expiry: held while now − firstAbsent < grace; expiresAt = firstAbsent + grace.
 * - Record changes: `start` (ranges first seen absent) is written before apply, whatever apply then
 *   does, so a failed or refused run still starts the clock; `forget` is deleted only after apply
 *   succeeded, so a range whose removal failed stays recorded as expired and goes on the next run.
 *   A crash between the two only means the hash keeps entries the next run forgets; a crash before
 *   `start` is written means the absence is counted from the next run that sees it: a range is never
 *   removed before it has been absent for the grace, at worst one run interval later.
 * - Where grace does not apply: no `removalGrace` (or 0), mode `append` (it never removes, grace is
 *   moot), and a manual run with namedLocation.clearOnManualRun (mode `clear`: the target holds exactly
 *   the desired set). Then nothing is held and every recorded entry is forgotten. Nor to a range that
 *   left because it overlaps a never-block CIDR (safety.neverBlock, and what the caller adds, such as
 *   ThreatQ's whitelist: `neverHold`): never-block wins at once (invariant 5), the range goes this run.
 * - The mass-removal guard (safety.maxRemovalFraction) sees the plan after grace: a feed that drops
 *   half its ranges is held for the grace and then refused as one removal of half the ranges.
 */
import { enclosingCidrLookup, mergeCidrs, normalizeCidr, sortCidrs, type EnclosingCidrLookup } from '../ranges/index.ts';
import type { DesiredRange } from './plan-types.ts';

/** Weight of a held range: below every priority weight, so held ranges are the first to give way. */
export const GRACE_WEIGHT = -1;
/** The `sources` label of a held range (overflow reports leave such ranges out). */
export const GRACE_SOURCE = '(removal grace)';

export interface GraceInput {
  /** The desired ranges (canonical, de-duplicated). */
  desired: readonly DesiredRange[];
  /** Owned ranges present in the target's locations now (the only ones the plan could remove). */
  present: Iterable<string>;
  /** The grace record: range → first seen absent (epoch ms). */
  firstAbsent: ReadonlyMap<string, number>;
  now: number;
  /** Grace in milliseconds; 0 when none applies. */
  graceMs: number;
  /**
   * Never-block CIDRs (any spelling; safety.neverBlock, ThreatQ's whitelist): a leaving range that
   * shares an address with one of them is removed at once, without grace.
   */
  neverHold?: readonly string[];
}

export interface HeldRange {
  cidr: string;
  /** First seen absent (epoch ms). */
  since: number;
  /** since + grace (epoch ms). */
  expiresAt: number;
}

export interface GraceDecision {
  /**
   * What the plan places: the desired ranges in their order (less those riding in a held range), then
   * the held ranges, latest expiry first. Held ranges are live, and the planner gives ties to live
   * ranges before it looks at the order, so where they stand among desired ranges changes no decision;
   * among held ranges (all of GRACE_WEIGHT) the order makes those nearest their expiry give way first.
   */
  effective: DesiredRange[];
  /** Ranges held, soonest expiry first. */
  held: HeldRange[];
  /** Ranges whose grace ran out: the plan removes them. */
  expired: string[];
  /** Ranges that left and overlap a never-block CIDR (`neverHold`): the plan removes them, no grace. */
  neverBlocked: string[];
  /** New record entries (written before apply). */
  start: { cidr: string; since: number }[];
  /** Record entries to delete once apply succeeded. */
  forget: string[];
}

/** Is this a range the plan holds only for the grace (no desired range inside it)? */
export function isHeldOnly(d: DesiredRange): boolean {
  return d.sources.length === 1 && d.sources[0] === GRACE_SOURCE;
}

/** The prefix length written after the slash (canonical text). */
const prefixOf = (cidr: string): number => Number(cidr.slice(cidr.lastIndexOf('/') + 1));
const isHost = (cidr: string): boolean => prefixOf(cidr) === (cidr.includes(':') ? 128 : 32);

/** Does a range share an address with one of `never`? (CIDRs overlap only by nesting: one holds the other.) */
function overlapTest(never: readonly string[], ranges: readonly string[]): (cidr: string) => boolean {
  const canonical = never.map((n) => normalizeCidr(n)).filter((n): n is string => n !== null);
  if (canonical.length === 0 || ranges.length === 0) return () => false;
  const inNever = enclosingCidrLookup(canonical);
  const holdingNever = new Set<string>();
  const among = enclosingCidrLookup(ranges);
  for (const n of canonical) for (const r of among.all(n)) holdingNever.add(r);
  return (cidr) => holdingNever.has(cidr) || inNever.narrowest(cidr) !== undefined;
}

/** The present ranges no desired range covers, in input order. */
function leavingRanges(desired: readonly DesiredRange[], present: Iterable<string>): string[] {
  const wanted = new Set(desired.map((d) => d.cidr));
  const candidates = [...new Set(present)].filter((r) => !wanted.has(r));
  if (candidates.length === 0) return candidates;
  // Inside one desired range: covered. A block can also be covered by several (desired ranges are
  // merged, but split again at the floors), so for a block that is not a host the merged set decides.
  const inOne = enclosingCidrLookup(wanted);
  let merged: EnclosingCidrLookup | undefined;
  return candidates.filter((r) => {
    if (inOne.narrowest(r) !== undefined) return false;
    if (isHost(r)) return true;
    merged ??= enclosingCidrLookup(mergeCidrs(wanted));
    return merged.narrowest(r) === undefined;
  });
}

export function decideRemovalGrace(input: GraceInput): GraceDecision {
  const { firstAbsent, now, graceMs } = input;
  const leaving = graceMs > 0 ? sortCidrs(leavingRanges(input.desired, input.present)) : [];
  const held: HeldRange[] = [];
  const expired: string[] = [];
  const neverBlocked: string[] = [];
  const start: GraceDecision['start'] = [];
  const mustGo = overlapTest(input.neverHold ?? [], leaving);
  for (const cidr of leaving) {
    if (mustGo(cidr)) {
      neverBlocked.push(cidr);
      continue;
    }
    const recorded = firstAbsent.get(cidr);
    const since = recorded ?? now;
    if (recorded === undefined) start.push({ cidr, since });
    if (now - since < graceMs) held.push({ cidr, since, expiresAt: since + graceMs });
    else expired.push(cidr);
  }
  held.sort((a, b) => a.expiresAt - b.expiresAt); // stable: address order within one expiry
  const heldSet = new Set(held.map((h) => h.cidr));
  const forget = [...firstAbsent.keys()].filter((c) => !heldSet.has(c));
  return { effective: withHeld(input.desired, held), held, expired, neverBlocked, start, forget };
}

/** desired ∪ held: a desired range inside a held one rides in it (weight and sources carried over). */
function withHeld(desired: readonly DesiredRange[], held: readonly HeldRange[]): DesiredRange[] {
  if (held.length === 0) return [...desired];
  const carriers = new Map<string, { cidr: string; weight: number; sources: string[] }>();
  for (const h of held) carriers.set(h.cidr, { cidr: h.cidr, weight: GRACE_WEIGHT, sources: [GRACE_SOURCE] });
  const enclosing = enclosingCidrLookup(carriers.keys());
  // A desired range can ride only in a strictly broader held one (an equal one would not have left).
  const broadest: Record<4 | 6, number> = { 4: 33, 6: 129 };
  for (const h of held) {
    const fam = h.cidr.includes(':') ? 6 : 4;
    broadest[fam] = Math.min(broadest[fam], prefixOf(h.cidr));
  }
  const rest: DesiredRange[] = [];
  for (const d of desired) {
    const at = prefixOf(d.cidr) > broadest[d.cidr.includes(':') ? 6 : 4] ? enclosing.narrowest(d.cidr) : undefined;
    const carrier = at === undefined ? undefined : carriers.get(at);
    if (!carrier) {
      rest.push(d);
      continue;
    }
    if (d.weight > carrier.weight) carrier.weight = d.weight;
    for (const s of d.sources) if (!carrier.sources.includes(s)) carrier.sources.push(s);
  }
  // Latest expiry first: when capacity is short, ties go to the earlier ones, so the held ranges nearest
  // their expiry give way first.
  return [...rest, ...[...carriers.values()].reverse()];
}
