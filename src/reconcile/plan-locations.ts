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
 */
import type { DesiredRange, LiveLocation, PlanMode } from './plan-types.ts';

export interface ShardOutcome {
  index: number;
  live: LiveLocation | undefined;
  /** Content after the plan, in write order (staying ranges in live order, then new ones). */
  content: string[];
  added: string[];
  removed: string[];
  /** The write this shard needs. */
  action: 'create' | 'update' | 'delete' | 'unchanged';
}

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

const isFinalFlags = (f: number): boolean => (f & KEPT) !== 0 || ((f & DESIRED) !== 0 && (f & DROPPED) === 0);

export function planLocations(input: LocationPlanInput): LocationPlan {
  const { shards, owned, mode, maxRangesPerLocation: cap, maxLocations } = input;
  const indexes = [...shards.keys()].sort((a, b) => a - b);
  const st = new Map<string, number>();

  for (const i of indexes) {
    for (const r of (shards.get(i) as LiveLocation).ranges) {
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

  // Ranges that stay although not desired: never ours to remove.
  const capacity = cap * maxLocations;
  const kept: string[] = [];
  const droppedKept: string[] = [];
  if (mode !== 'clear') {
    for (const [r, f] of st) {
      if ((f & LIVE) !== 0 && (f & DESIRED) === 0 && (mode === 'append' || !owned.has(r))) {
        if (kept.length < capacity) {
          kept.push(r);
          st.set(r, f | KEPT);
        } else droppedKept.push(r);
      }
    }
  }

  const room = capacity - kept.length;
  let selected: DesiredRange[] = desired;
  const dropped: DesiredRange[] = [];
  let cutoffWeight: number | undefined;
  let newRanges = desired.length - liveDesired;
  if (desired.length > room) {
    // Keep the `room` highest weights without a comparator sort (780,000 ranges sort slowly): find
    // the cutoff weight with a native typed-array sort, keep everything above it, and fill the rest
    // with ranges of exactly the cutoff weight, live ones first, then in desired order.
    const n = desired.length;
    const w = new Float64Array(n);
    for (let i = 0; i < n; i += 1) {
      const x = (desired[i] as DesiredRange).weight;
      w[i] = Number.isNaN(x) ? -Infinity : x;
    }
    const droppedIdx = new Uint8Array(n).fill(1);
    let need = room;
    if (room > 0) {
      const cutoff = w.slice().sort()[n - room] as number;
      cutoffWeight = cutoff;
      for (let i = 0; i < n; i += 1) {
        if ((w[i] as number) > cutoff) {
          droppedIdx[i] = 0;
          need -= 1;
        }
      }
      for (const wantLive of [true, false]) {
        for (let i = 0; i < n && need > 0; i += 1) {
          if (w[i] !== cutoff || droppedIdx[i] === 0) continue;
          if ((((st.get((desired[i] as DesiredRange).cidr) ?? 0) & LIVE) !== 0) !== wantLive) continue;
          droppedIdx[i] = 0;
          need -= 1;
        }
      }
    }
    selected = [];
    newRanges = 0;
    for (let i = 0; i < n; i += 1) {
      const d = desired[i] as DesiredRange;
      if (droppedIdx[i] === 1) {
        dropped.push(d);
        st.set(d.cidr, (st.get(d.cidr) ?? 0) | DROPPED);
      } else {
        selected.push(d);
        if (((st.get(d.cidr) ?? 0) & LIVE) === 0) newRanges += 1;
      }
    }
  }

  // Stable assignment: a staying range keeps its shard (its first one when found twice); what no
  // longer fits its shard (lowered capacity) goes to the pool with the new ranges.
  const pool: string[] = [];
  const contents = new Map<number, string[]>();
  const removedOf = new Map<number, string[]>();
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
        pool.push(r);
      }
      removed.push(r);
    }
    contents.set(i, keep);
    removedOf.set(i, removed);
  }

  // New ranges (and spilled ones) fill free room: first shards that change anyway, then the others,
  // then new shards with the lowest free index.
  if (newRanges > 0) for (const d of selected) if (((st.get(d.cidr) ?? 0) & LIVE) === 0) pool.push(d.cidr);
  const addedOf = new Map<number, string[]>();
  let next = 0;
  const changing = (i: number): boolean => (removedOf.get(i) as string[]).length > 0 || (shards.get(i) as LiveLocation).isTrusted !== input.isTrusted;
  const existing = indexes.filter((i) => i <= maxLocations);
  const fillOrder = [...existing.filter(changing), ...existing.filter((i) => !changing(i))];
  for (const i of fillOrder) {
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

  const outcomes: ShardOutcome[] = [];
  for (const i of [...contents.keys()].sort((a, b) => a - b)) {
    const content = contents.get(i) as string[];
    const live = shards.get(i);
    const added = addedOf.get(i) ?? [];
    if (!live) {
      outcomes.push({ index: i, live: undefined, content, added, removed: [], action: 'create' });
      continue;
    }
    const removed = removedOf.get(i) as string[];
    let action: ShardOutcome['action'] = 'unchanged';
    if (content.length === 0) action = 'delete';
    else if (added.length > 0 || removed.length > 0 || live.isTrusted !== input.isTrusted) action = 'update';
    outcomes.push({ index: i, live, content, added, removed, action });
  }

  let liveRanges = 0;
  let finalRanges = 0;
  let added = 0;
  let removed = 0;
  for (const f of st.values()) {
    const fin = isFinalFlags(f);
    if (fin) finalRanges += 1;
    if ((f & LIVE) !== 0) {
      liveRanges += 1;
      if (!fin) removed += 1;
    } else if (fin) added += 1;
  }
  let ownedLive = 0;
  let ownedRemoved = 0;
  const ownedNotFinal: string[] = [];
  for (const r of owned) {
    const f = st.get(r) ?? 0;
    const fin = isFinalFlags(f);
    if (!fin) ownedNotFinal.push(r);
    if ((f & LIVE) !== 0) {
      ownedLive += 1;
      if (!fin) ownedRemoved += 1;
    }
  }

  return {
    outcomes,
    isFinal: (cidr) => isFinalFlags(st.get(cidr) ?? 0),
    isSelected: (cidr) => {
      const f = st.get(cidr) ?? 0;
      return (f & DESIRED) !== 0 && (f & DROPPED) === 0;
    },
    selected,
    finalRanges,
    liveRanges,
    kept: kept.length,
    added,
    removed,
    ownedLive,
    ownedRemoved,
    ownedNotFinal,
    dropped,
    droppedKept,
    cutoffWeight,
  };
}
