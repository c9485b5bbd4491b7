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
import { shardIndexOf } from './shard-names.ts';

export interface ShardSelection {
  /** The target's shards by index (the oldest location when several share a name). */
  shards: Map<number, LiveLocation>;
  /** Locations with a shard name that lost to an older one of the same name (left alone). */
  duplicates: LiveLocation[];
}

function createdMs(l: { createdDateTime: string }): number {
  const t = Date.parse(l.createdDateTime);
  return Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER;
}

/** Oldest first; ties by id so the choice is deterministic. */
export function byAge<T extends { createdDateTime: string; id: string }>(a: T, b: T): number {
  return createdMs(a) - createdMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function selectShards(base: string, locations: readonly LiveLocation[]): ShardSelection {
  const shards = new Map<number, LiveLocation>();
  const duplicates: LiveLocation[] = [];
  const candidates = locations
    .map((l) => ({ l, index: shardIndexOf(base, l.displayName) }))
    .filter((x): x is { l: LiveLocation; index: number } => x.index !== undefined)
    .sort((a, b) => a.index - b.index || byAge(a.l, b.l));
  for (const { l, index } of candidates) {
    if (shards.has(index)) duplicates.push(l);
    else shards.set(index, l);
  }
  return { shards, duplicates };
}

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
  /** The target's ranges after the plan. */
  final: Set<string>;
  /** Desired ranges that made it in. */
  selected: Set<string>;
  liveRanges: number;
  kept: number;
  added: number;
  removed: number;
  ownedLive: number;
  ownedRemoved: number;
  /** Desired ranges left out (highest priority first). */
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

export function planLocations(input: LocationPlanInput): LocationPlan {
  const { shards, owned, mode, maxRangesPerLocation: cap, maxLocations } = input;
  const indexes = [...shards.keys()].sort((a, b) => a - b);

  const liveAll = new Set<string>();
  for (const i of indexes) for (const r of shards.get(i)?.ranges ?? []) liveAll.add(r);

  const desiredMap = new Map<string, DesiredRange>();
  const desired: DesiredRange[] = [];
  for (const d of input.desired) {
    if (!desiredMap.has(d.cidr)) {
      desiredMap.set(d.cidr, d);
      desired.push(d);
    }
  }

  // Ranges that stay although not desired: never ours to remove.
  let kept: string[] = [];
  if (mode !== 'clear') {
    for (const r of liveAll) {
      if (!desiredMap.has(r) && (mode === 'append' || !owned.has(r))) kept.push(r);
    }
  }
  const capacity = cap * maxLocations;
  let droppedKept: string[] = [];
  if (kept.length > capacity) {
    droppedKept = kept.slice(capacity);
    kept = kept.slice(0, capacity);
  }

  const room = capacity - kept.length;
  let selectedList: DesiredRange[] = desired;
  let dropped: DesiredRange[] = [];
  let cutoffWeight: number | undefined;
  if (desired.length > room) {
    const order = desired.map((_, i) => i);
    const isLive = desired.map((d) => liveAll.has(d.cidr));
    order.sort((a, b) => {
      const da = desired[a] as DesiredRange;
      const db = desired[b] as DesiredRange;
      return db.weight - da.weight || Number(isLive[b]) - Number(isLive[a]) || a - b;
    });
    const keepIdx = new Uint8Array(desired.length);
    for (let k = 0; k < room; k += 1) keepIdx[order[k] as number] = 1;
    selectedList = desired.filter((_, i) => keepIdx[i] === 1);
    dropped = order.slice(room).map((i) => desired[i] as DesiredRange);
    cutoffWeight = room > 0 ? desired[order[room - 1] as number]?.weight : undefined;
  }
  const selected = new Set<string>();
  for (const d of selectedList) selected.add(d.cidr);
  const final = new Set<string>(kept);
  for (const r of selected) final.add(r);

  // Stable assignment: staying ranges keep their shard (first shard wins for a range found twice).
  const placed = new Set<string>();
  const contents = new Map<number, string[]>();
  const liveSets = new Map<number, Set<string>>();
  for (const i of indexes) {
    const live = shards.get(i) as LiveLocation;
    const liveSet = new Set(live.ranges);
    liveSets.set(i, liveSet);
    const keep: string[] = [];
    if (i <= maxLocations) {
      for (const r of liveSet) {
        if (keep.length >= cap) break;
        if (final.has(r) && !placed.has(r)) {
          keep.push(r);
          placed.add(r);
        }
      }
    }
    contents.set(i, keep);
  }

  // New ranges (and spilled ones) fill free room.
  const pool: string[] = [];
  for (const r of kept) if (!placed.has(r)) pool.push(r);
  for (const d of selectedList) if (!placed.has(d.cidr)) pool.push(d.cidr);
  let next = 0;
  const changing = (i: number): boolean => {
    const live = shards.get(i) as LiveLocation;
    return (contents.get(i) as string[]).length !== (liveSets.get(i) as Set<string>).size || live.isTrusted !== input.isTrusted;
  };
  const existing = indexes.filter((i) => i <= maxLocations);
  const fillOrder = [...existing.filter(changing), ...existing.filter((i) => !changing(i))];
  for (const i of fillOrder) {
    const c = contents.get(i) as string[];
    while (c.length < cap && next < pool.length) c.push(pool[next++] as string);
  }
  for (let i = 1; i <= maxLocations && next < pool.length; i += 1) {
    if (contents.has(i)) continue;
    const c: string[] = [];
    while (c.length < cap && next < pool.length) c.push(pool[next++] as string);
    contents.set(i, c);
  }

  const outcomes: ShardOutcome[] = [];
  for (const i of [...contents.keys()].sort((a, b) => a - b)) {
    const content = contents.get(i) as string[];
    const live = shards.get(i);
    if (!live) {
      outcomes.push({ index: i, live: undefined, content, added: content, removed: [], action: 'create' });
      continue;
    }
    const liveSet = liveSets.get(i) as Set<string>;
    const contentSet = new Set(content);
    const added = content.filter((r) => !liveSet.has(r));
    const removed = [...liveSet].filter((r) => !contentSet.has(r));
    let action: ShardOutcome['action'] = 'unchanged';
    if (content.length === 0) action = 'delete';
    else if (added.length > 0 || removed.length > 0 || live.isTrusted !== input.isTrusted) action = 'update';
    outcomes.push({ index: i, live, content, added, removed, action });
  }

  let ownedLive = 0;
  let ownedRemoved = 0;
  let removed = 0;
  for (const r of liveAll) {
    const gone = !final.has(r);
    if (gone) removed += 1;
    if (owned.has(r)) {
      ownedLive += 1;
      if (gone) ownedRemoved += 1;
    }
  }
  let added = 0;
  for (const r of final) if (!liveAll.has(r)) added += 1;

  return {
    outcomes,
    final,
    selected,
    liveRanges: liveAll.size,
    kept: kept.length,
    added,
    removed,
    ownedLive,
    ownedRemoved,
    dropped,
    droppedKept,
    cutoffWeight,
  };
}
