/**
 * The named-location half of the plan: which ranges the target holds after the run and in which shard.
 *
 * New content of the target (as sets of canonical CIDRs):
 *   mirror: (live − owned) ∪ desired   ranges an administrator added by hand stay, stale ones of ours go
 *   append: live ∪ desired             nothing is ever removed (except what no longer fits, see below)
 *   clear:  desired                    a manual run with namedLocation.clearOnManualRun
 * Ranges are compared as exact canonical CIDRs: a hand-added 10.0.0.0/24 and a desired 10.0.0.1/32
 * are two ranges (the service never rewrites or merges what it does not own).
 *
 * Capacity is maxLocations × maxRangesPerLocation. Kept (not ours) ranges go first; desired ranges
 * fill the rest by weight (score, then recency), ties going to ranges already live, then to address
 * order. What does not fit is reported by source, never an error.
 *
 * Stable assignment: a range that stays keeps its shard (a shard over a lowered maxRangesPerLocation
 * spills its excess). New ranges fill free room, first in shards that change anyway, then in other
 * existing shards, then in new shards with the lowest free index. A shard is written only when its
 * content or isTrusted changes; a shard left empty (or beyond maxLocations) is deleted.
 *
 * Phases (one function each, in planLocations' order): index the live and desired ranges, keep what
 * is not ours, select the desired ranges that fit, keep staying ranges in place, fill free room,
 * one outcome per shard, count.
 */
import type { DesiredRange, LiveLocation, PlanMode } from './plan-types.ts';

interface ShardOutcomeBase {
  index: number;
  /** Content after the plan, in write order (staying ranges in live order, then new ones). */
  content: string[];
  added: string[];
  removed: string[];
}

/** What happens to one shard: `create` has no live location, every other action has one. */
export type ShardOutcome =
  | (ShardOutcomeBase & { action: 'create'; live: undefined })
  | (ShardOutcomeBase & { action: 'update' | 'delete' | 'unchanged'; live: LiveLocation });

export interface LocationPlan {
  outcomes: ShardOutcome[];
  /** Is this range in the target after the plan? */
  isFinal: (cidr: string) => boolean;
  /** Is this a desired range that made it in? */
  isSelected: (cidr: string) => boolean;
  /** Desired ranges that made it in, in desired order. */
  selected: DesiredRange[];
  finalRanges: number;
  liveRanges: number;
  kept: number;
  added: number;
  removed: number;
  ownedLive: number;
  ownedRemoved: number;
  /** Owned ranges that are not in the target after the plan (the record drops them once applied). */
  ownedNotFinal: string[];
  /** Desired ranges left out, in desired order. */
  dropped: DesiredRange[];
  /** Kept live ranges that no longer fit (capacity lowered under existing content). */
  droppedKept: string[];
  /** Weight of the lowest-priority desired range kept, when some were left out. */
  cutoffWeight: number | undefined;
}

export interface LocationPlanInput {
  shards: Map<number, LiveLocation>;
  desired: readonly DesiredRange[];
  owned: ReadonlySet<string>;
  mode: PlanMode;
  maxRangesPerLocation: number;
  maxLocations: number;
  isTrusted: boolean;
}

// Per-range state in one Map (flags in the low bits, the first shard holding the range above them),
// so that each range is hashed as few times as possible: planning 390,000 ranges must take well
// under a second.
const LIVE = 1;
const DESIRED = 2;
const KEPT = 4;
const DROPPED = 8;
/** The range appears more than once across the live shards (rare: a hand edit, an old bug). */
const DUP = 16;
const SHIFT = 8;

type RangeState = Map<string, number>;

const isFinalFlags = (f: number): boolean => (f & KEPT) !== 0 || ((f & DESIRED) !== 0 && (f & DROPPED) === 0);
const isLive = (st: RangeState, cidr: string): boolean => ((st.get(cidr) ?? 0) & LIVE) !== 0;

/** Phase 1: flag every live range (with its first shard) and every desired one (duplicates dropped). */
function indexRanges(input: LocationPlanInput, indexes: readonly number[]): { st: RangeState; desired: DesiredRange[]; liveDesired: number } {
  const st: RangeState = new Map();
  for (const i of indexes) {
    for (const r of (input.shards.get(i) as LiveLocation).ranges) {
      const f = st.get(r);
      st.set(r, f === undefined ? LIVE | (i << SHIFT) : f | DUP);
    }
  }
  const desired: DesiredRange[] = [];
  let liveDesired = 0;
  for (const d of input.desired) {
    const f = st.get(d.cidr) ?? 0;
    if ((f & DESIRED) !== 0) continue;
    st.set(d.cidr, f | DESIRED);
    desired.push(d);
    if ((f & LIVE) !== 0) liveDesired += 1;
  }
  return { st, desired, liveDesired };
}

/** Phase 2: live ranges that stay although not desired (never ours to remove), up to capacity. */
function keepNotOurs(st: RangeState, input: LocationPlanInput, capacity: number): { kept: string[]; droppedKept: string[] } {
  const kept: string[] = [];
  const droppedKept: string[] = [];
  if (input.mode === 'clear') return { kept, droppedKept };
  for (const [r, f] of st) {
    if ((f & LIVE) !== 0 && (f & DESIRED) === 0 && (input.mode === 'append' || !input.owned.has(r))) {
      if (kept.length < capacity) {
        kept.push(r);
        st.set(r, f | KEPT);
      } else droppedKept.push(r);
    }
  }
  return { kept, droppedKept };
}

interface Selection {
  selected: DesiredRange[];
  dropped: DesiredRange[];
  cutoffWeight: number | undefined;
  /** Selected ranges not live yet. */
  newRanges: number;
}

/**
 * Which desired ranges are left out (flag 1) when more than `room` are desired: the `room` highest
 * weights are kept without a comparator sort (780,000 ranges sort slowly): the cutoff weight comes
 * from a native typed-array sort, everything above it is kept, and the rest is filled with ranges of
 * exactly the cutoff weight, live ones first, then in desired order.
 */
function droppedByWeight(st: RangeState, desired: readonly DesiredRange[], room: number): { droppedIdx: Uint8Array; cutoffWeight: number | undefined } {
  const n = desired.length;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const x = (desired[i] as DesiredRange).weight;
    w[i] = Number.isNaN(x) ? -Infinity : x;
  }
  const droppedIdx = new Uint8Array(n).fill(1);
  if (room <= 0) return { droppedIdx, cutoffWeight: undefined };
  let need = room;
  const cutoff = w.slice().sort()[n - room] as number;
  for (let i = 0; i < n; i += 1) {
    if ((w[i] as number) > cutoff) {
      droppedIdx[i] = 0;
      need -= 1;
    }
  }
  for (const wantLive of [true, false]) {
    for (let i = 0; i < n && need > 0; i += 1) {
      if (w[i] !== cutoff || droppedIdx[i] === 0) continue;
      if (isLive(st, (desired[i] as DesiredRange).cidr) !== wantLive) continue;
      droppedIdx[i] = 0;
      need -= 1;
    }
  }
  return { droppedIdx, cutoffWeight: cutoff };
}

/** Phase 3: the desired ranges that fit in the room left by the kept ones. */
function selectDesired(st: RangeState, desired: DesiredRange[], liveDesired: number, room: number): Selection {
  if (desired.length <= room) return { selected: desired, dropped: [], cutoffWeight: undefined, newRanges: desired.length - liveDesired };
  const { droppedIdx, cutoffWeight } = droppedByWeight(st, desired, room);
  const selected: DesiredRange[] = [];
  const dropped: DesiredRange[] = [];
  let newRanges = 0;
  for (let i = 0; i < desired.length; i += 1) {
    const d = desired[i] as DesiredRange;
    if (droppedIdx[i] === 1) {
      dropped.push(d);
      st.set(d.cidr, (st.get(d.cidr) ?? 0) | DROPPED);
    } else {
      selected.push(d);
      if (!isLive(st, d.cidr)) newRanges += 1;
    }
  }
  return { selected, dropped, cutoffWeight, newRanges };
}

interface Placement {
  /** Content per shard index. */
  contents: Map<number, string[]>;
  removedOf: Map<number, string[]>;
  addedOf: Map<number, string[]>;
  /** Ranges looking for a shard: spilled ones, then new ones. */
  pool: string[];
}

/**
 * Phase 4, stable assignment: a staying range keeps its shard (its first one when found twice); what
 * no longer fits its shard (lowered capacity, or a shard beyond maxLocations) goes to the pool.
 */
function keepInPlace(st: RangeState, input: LocationPlanInput, indexes: readonly number[]): Placement {
  const { shards, maxLocations, maxRangesPerLocation: cap } = input;
  const placement: Placement = { contents: new Map(), removedOf: new Map(), addedOf: new Map(), pool: [] };
  const seenDup = new Set<string>();
  for (const i of indexes) {
    const keep: string[] = [];
    const removed: string[] = [];
    for (const r of (shards.get(i) as LiveLocation).ranges) {
      const f = st.get(r) ?? 0;
      let first = f >>> SHIFT === i;
      if (first && (f & DUP) !== 0) {
        first = !seenDup.has(r);
        seenDup.add(r);
      }
      if (first && isFinalFlags(f)) {
        if (i <= maxLocations && keep.length < cap) {
          keep.push(r);
          continue;
        }
        placement.pool.push(r);
      }
      removed.push(r);
    }
    placement.contents.set(i, keep);
    placement.removedOf.set(i, removed);
  }
  return placement;
}

/**
 * Phase 5: the pool fills free room, first in shards that change anyway, then in the other existing
 * shards, then in new shards with the lowest free index.
 */
function fillFreeRoom(placement: Placement, input: LocationPlanInput, indexes: readonly number[]): void {
  const { shards, maxLocations, maxRangesPerLocation: cap } = input;
  const { contents, removedOf, addedOf, pool } = placement;
  let next = 0;
  const changing = (i: number): boolean => (removedOf.get(i) as string[]).length > 0 || (shards.get(i) as LiveLocation).isTrusted !== input.isTrusted;
  const existing = indexes.filter((i) => i <= maxLocations);
  for (const i of [...existing.filter(changing), ...existing.filter((i) => !changing(i))]) {
    if (next >= pool.length) break;
    const c = contents.get(i) as string[];
    const added: string[] = [];
    while (c.length < cap && next < pool.length) {
      const r = pool[next++] as string;
      c.push(r);
      added.push(r);
    }
    addedOf.set(i, added);
  }
  for (let i = 1; i <= maxLocations && next < pool.length; i += 1) {
    if (contents.has(i)) continue;
    const c: string[] = [];
    while (c.length < cap && next < pool.length) c.push(pool[next++] as string);
    contents.set(i, c);
    addedOf.set(i, c);
  }
}

/** Phase 6: one outcome per shard, in index order, with the write it needs. */
function outcomesOf(placement: Placement, input: LocationPlanInput): ShardOutcome[] {
  const outcomes: ShardOutcome[] = [];
  for (const index of [...placement.contents.keys()].sort((a, b) => a - b)) {
    const content = placement.contents.get(index) as string[];
    const live = input.shards.get(index);
    const added = placement.addedOf.get(index) ?? [];
    if (!live) {
      outcomes.push({ index, live: undefined, content, added, removed: [], action: 'create' });
      continue;
    }
    const removed = placement.removedOf.get(index) as string[];
    let action: 'update' | 'delete' | 'unchanged' = 'unchanged';
    if (content.length === 0) action = 'delete';
    else if (added.length > 0 || removed.length > 0 || live.isTrusted !== input.isTrusted) action = 'update';
    outcomes.push({ index, live, content, added, removed, action });
  }
  return outcomes;
}

type Counts = Pick<LocationPlan, 'liveRanges' | 'finalRanges' | 'added' | 'removed' | 'ownedLive' | 'ownedRemoved' | 'ownedNotFinal'>;

/** Phase 7: the summary counts, over the range state and the owned record. */
function countRanges(st: RangeState, owned: ReadonlySet<string>): Counts {
  const c: Counts = { liveRanges: 0, finalRanges: 0, added: 0, removed: 0, ownedLive: 0, ownedRemoved: 0, ownedNotFinal: [] };
  for (const f of st.values()) {
    const fin = isFinalFlags(f);
    if (fin) c.finalRanges += 1;
    if ((f & LIVE) !== 0) {
      c.liveRanges += 1;
      if (!fin) c.removed += 1;
    } else if (fin) c.added += 1;
  }
  for (const r of owned) {
    const f = st.get(r) ?? 0;
    const fin = isFinalFlags(f);
    if (!fin) c.ownedNotFinal.push(r);
    if ((f & LIVE) !== 0) {
      c.ownedLive += 1;
      if (!fin) c.ownedRemoved += 1;
    }
  }
  return c;
}

export function planLocations(input: LocationPlanInput): LocationPlan {
  const indexes = [...input.shards.keys()].sort((a, b) => a - b);
  const { st, desired, liveDesired } = indexRanges(input, indexes);
  const capacity = input.maxRangesPerLocation * input.maxLocations;
  const { kept, droppedKept } = keepNotOurs(st, input, capacity);
  const { selected, dropped, cutoffWeight, newRanges } = selectDesired(st, desired, liveDesired, capacity - kept.length);
  const placement = keepInPlace(st, input, indexes);
  if (newRanges > 0) for (const d of selected) if (!isLive(st, d.cidr)) placement.pool.push(d.cidr);
  fillFreeRoom(placement, input, indexes);
  return {
    outcomes: outcomesOf(placement, input),
    isFinal: (cidr) => isFinalFlags(st.get(cidr) ?? 0),
    isSelected: (cidr) => {
      const f = st.get(cidr) ?? 0;
      return (f & DESIRED) !== 0 && (f & DROPPED) === 0;
    },
    selected,
    kept: kept.length,
    ...countRanges(st, input.owned),
    dropped,
    droppedKept,
    cutoffWeight,
  };
}
