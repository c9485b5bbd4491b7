/**
 * Per-tenant object store of the Graph emulator with eventual consistency.
 *
 * Every object keeps its list of versions, each with the time it was written and the operation that
 * wrote it (`create`, `update`, or `delete`, a tombstone). The authoritative state is the latest
 * version. What a reader sees depends on how long each version takes to replicate, which the caller
 * gives per version (`DelayOf`, replication.ts picks it per rule): `settled` is the latest version
 * already replicated; `read` additionally lets a version still replicating show through at random
 * during the last part of its delay (the mixture of old and new Graph readers see), deterministic per
 * seed, object and read count. Seeded objects are replicated at once.
 *
 * Deleted objects also go to a deleted-items list (soft delete), from which they can be restored or
 * removed for good.
 */
export type Json = Record<string, unknown>;
export type Kind = 'namedLocations' | 'policies';
export type WriteOp = 'create' | 'update' | 'delete';

export interface Version {
  /** Epoch ms of the write; -Infinity for seeded objects (replicated at once). */
  writtenAt: number;
  op: WriteOp;
  value: Json | null;
  /** Position in the object's history (0 = first write). */
  index: number;
}

/** The replication delay (ms) of a version, for the purpose at hand. */
export type DelayOf = (v: Version) => number;

export interface MixedReads {
  /** 0–1: the last part of each delay during which reads may already see the new version. */
  fraction: number;
  seed: number;
}

export interface DeletedItem {
  value: Json;
  deletedAt: number;
}

/** A 32-bit FNV-1a hash folded to [0, 1). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32;
}

export class TenantStore {
  private readonly objects: Record<Kind, Map<string, Version[]>> = { namedLocations: new Map(), policies: new Map() };
  private readonly deleted: Record<Kind, Map<string, DeletedItem>> = { namedLocations: new Map(), policies: new Map() };
  private readonly reads = new Map<string, number>();

  /** The authoritative state of an object (latest write), undefined when absent or deleted. */
  current(kind: Kind, id: string): Json | undefined {
    const versions = this.objects[kind].get(id);
    return versions?.[versions.length - 1]?.value ?? undefined;
  }

  /** The object's history, oldest first (empty when unknown). */
  versions(kind: Kind, id: string): readonly Version[] {
    return this.objects[kind].get(id) ?? [];
  }

  ids(kind: Kind): string[] {
    return [...this.objects[kind].keys()];
  }

  /** The latest version fully replicated at `now` (undefined: absent, not yet created, or deleted). */
  settled(kind: Kind, id: string, now: number, delayOf: DelayOf): Json | undefined {
    const versions = this.versions(kind, id);
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i] as Version;
      if (v.writtenAt + delayOf(v) <= now) return v.value ?? undefined;
    }
    return undefined;
  }

  /**
   * Every state a replica may be in at `now`: the latest version fully replicated (`null` when none
   * has, or it is a delete) and every later version still replicating, oldest first. A precondition
   * that must hold on every replica holds on each of these.
   */
  inFlight(kind: Kind, id: string, now: number, delayOf: DelayOf): (Json | null)[] {
    const versions = this.versions(kind, id);
    let from = versions.length - 1;
    while (from >= 0 && (versions[from] as Version).writtenAt + delayOf(versions[from] as Version) > now) from--;
    const states = versions.slice(Math.max(from, 0)).map((v) => v.value);
    return from < 0 ? [null, ...states] : states;
  }

  /**
   * What one read sees at `now`: a version fully replicated, or one still replicating that is in the
   * mixed part of its delay and wins this read's coin toss. Each call counts as a read of the object.
   */
  read(kind: Kind, id: string, now: number, delayOf: DelayOf, mix: MixedReads): Json | undefined {
    const versions = this.versions(kind, id);
    const key = `${kind}/${id}`;
    const n = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, n);
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i] as Version;
      const delay = delayOf(v);
      const end = v.writtenAt + delay;
      if (end <= now) return v.value ?? undefined;
      const mixFrom = end - delay * mix.fraction;
      if (mix.fraction > 0 && now >= mixFrom && unitHash(`${mix.seed}|${key}|${v.index}|${n}`) < 0.5) return v.value ?? undefined;
    }
    return undefined;
  }

  listCurrent(kind: Kind): Json[] {
    return this.ids(kind).map((id) => this.current(kind, id)).filter((v): v is Json => v !== undefined);
  }

  /** A write: `create` for a new (or restored) object, `update` otherwise. */
  put(kind: Kind, id: string, value: Json, writtenAt: number, op?: WriteOp): void {
    const versions = this.objects[kind].get(id) ?? [];
    const kindOfWrite = op ?? (versions.length === 0 || versions[versions.length - 1]?.value === null ? 'create' : 'update');
    versions.push({ writtenAt, op: kindOfWrite, value: structuredClone(value), index: versions.length });
    this.objects[kind].set(id, versions);
  }

  /** A delete: a tombstone version, and (when `softDelete`) the last state into the deleted items. */
  remove(kind: Kind, id: string, writtenAt: number, softDelete: Json | undefined = undefined): void {
    const versions = this.objects[kind].get(id);
    if (!versions) return;
    versions.push({ writtenAt, op: 'delete', value: null, index: versions.length });
    if (softDelete) this.deleted[kind].set(id, { value: structuredClone(softDelete), deletedAt: writtenAt });
  }

  deletedItem(kind: Kind, id: string): DeletedItem | undefined {
    return this.deleted[kind].get(id);
  }

  deletedItems(kind: Kind): DeletedItem[] {
    return [...this.deleted[kind].values()];
  }

  /** Remove from the deleted items (restored or permanently deleted); returns what was there. */
  takeDeleted(kind: Kind, id: string): DeletedItem | undefined {
    const item = this.deleted[kind].get(id);
    this.deleted[kind].delete(id);
    return item;
  }
}
