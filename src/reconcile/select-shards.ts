/**
 * Which live named locations are the target's shards: those named `<name>` / `<name> (k)`; when
 * several share a name, the oldest (then the smallest id) is the shard and the others are reported
 * as duplicates and left alone.
 */
import type { LiveLocation } from './plan-types.ts';
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
