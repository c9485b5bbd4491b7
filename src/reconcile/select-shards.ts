/**
 * Which live named locations are the target's shards: those named `<name>` / `<name> (k)`. When
 * several share a name, the one-name rule (src/graph/same-name-winner.ts: recorded as this target's
 * own first, then the oldest, then the smallest id) picks the shard and the others are duplicates.
 */
import { sameNameOrder, type OwnedIds } from '../graph/same-name-winner.ts';
import type { LiveLocation } from './plan-types.ts';
import { shardIndexOf } from '../config/location-names.ts';

/** A location with a shard name that lost to another of the same name, with the index of that name. */
export interface ShardDuplicate {
  location: LiveLocation;
  index: number;
}

export interface ShardSelection {
  /** The target's shards by index (the winner of the one-name rule when several share a name). */
  shards: Map<number, LiveLocation>;
  /** Locations with a shard name that lost to another one of the same name. */
  duplicates: ShardDuplicate[];
}

/** `owned`: lower-case ids recorded as this target's own (ObjectOwners.self). */
export function selectShards(base: string, locations: readonly LiveLocation[], owned?: OwnedIds): ShardSelection {
  const shards = new Map<number, LiveLocation>();
  const duplicates: ShardDuplicate[] = [];
  const order = sameNameOrder(owned);
  const candidates = locations
    .map((location) => ({ location, index: shardIndexOf(base, location.displayName) }))
    .filter((x): x is ShardDuplicate => x.index !== undefined)
    .sort((a, b) => a.index - b.index || order(a.location, b.location));
  for (const c of candidates) {
    if (shards.has(c.index)) duplicates.push(c);
    else shards.set(c.index, c.location);
  }
  return { shards, duplicates };
}
