/**
 * LocationRef helpers (the type is in plan-types.ts): make a reference, tell whether a value is one,
 * the live id it names (none for a shard this plan creates), and the id it resolves to once apply
 * knows the ids of the shards it created. Every switch over the kinds ends in a `never` check.
 */
import type { LocationRef } from './plan-types.ts';

/** The exhaustiveness check closing every switch over LocationRef kinds. */
function unhandledRef(ref: never): never {
  throw new Error(`unhandled location reference ${JSON.stringify(ref)}`);
}

export const existingRef = (id: string): LocationRef => ({ kind: 'existing', id });
export const shardRef = (shard: number): LocationRef => ({ kind: 'shard', shard });

/** Graph's keyword for "any location" (an excludeLocation policy includes it). */
export const ALL_LOCATIONS: LocationRef = Object.freeze(existingRef('All'));

export function isLocationRef(value: unknown): value is LocationRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<'kind' | 'id' | 'shard', unknown>>;
  return (v.kind === 'existing' && typeof v.id === 'string') || (v.kind === 'shard' && typeof v.shard === 'number');
}

/** The live id a reference names (a plain string is an id already); undefined for a shard this plan creates. */
export function liveIdOf(ref: LocationRef | string): string | undefined {
  if (typeof ref === 'string') return ref;
  switch (ref.kind) {
    case 'existing':
      return ref.id;
    case 'shard':
      return undefined;
    default:
      return unhandledRef(ref);
  }
}

/** A key telling references apart (case-insensitive ids), for de-duplication. */
export function locationRefKey(ref: LocationRef): string {
  switch (ref.kind) {
    case 'existing':
      return `id ${ref.id.toLowerCase()}`;
    case 'shard':
      return `shard ${ref.shard}`;
    default:
      return unhandledRef(ref);
  }
}

/** The id to send: `created` maps the shards this run created to their ids. */
export function resolveLocationRef(ref: LocationRef, created: ReadonlyMap<number, string>): string {
  switch (ref.kind) {
    case 'existing':
      return ref.id;
    case 'shard': {
      const id = created.get(ref.shard);
      if (id === undefined) throw new Error(`internal: plan references shard ${ref.shard} that was not created`);
      return id;
    }
    default:
      return unhandledRef(ref);
  }
}
