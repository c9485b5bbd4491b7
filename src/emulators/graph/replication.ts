/**
 * The Graph emulator's replicated view of one tenant at one moment: what reads return and what every
 * precondition is evaluated on, rule by rule (the rules and their delays: emulator-options.ts,
 * `REPLICATION_RULES`). Reads may mix old and new while a change replicates; preconditions never do:
 * a precondition is met only when every state a replica may be in meets it (the latest write, the
 * fully replicated state and every state still replicating between them), so the emulator is never
 * kinder than a Graph replica that has not caught up.
 */
import { replicationDelay, type GraphEmulatorConfig, type ReplicationRule } from './emulator-options.ts';
import type { DelayOf, Json, Kind, TenantStore, Version } from './tenant-store.ts';

const READ_RULE: Record<Version['op'], ReplicationRule> = { create: 'readAfterCreate', update: 'readAfterUpdate', delete: 'readAfterDelete' };

function locationIds(policy: Json): string[] {
  const loc = (policy['conditions'] as Json | undefined)?.['locations'] as Json | null | undefined;
  return [...((loc?.['includeLocations'] as unknown[]) ?? []), ...((loc?.['excludeLocations'] as unknown[]) ?? [])]
    .filter((x): x is string => typeof x === 'string')
    .map((x) => x.toLowerCase());
}

export class ReplicatedView {
  constructor(
    private readonly store: TenantStore,
    private readonly cfg: GraphEmulatorConfig,
    readonly now: number,
  ) {}

  private delay(rule: ReplicationRule): number {
    return replicationDelay(this.cfg, rule);
  }

  private readDelay: DelayOf = (v) => this.delay(READ_RULE[v.op]);

  /** For a precondition: a create replicates under `writeAfterCreate`, later writes under `rule`. */
  private preconditionDelay(rule: ReplicationRule): DelayOf {
    return (v) => this.delay(v.op === 'create' ? 'writeAfterCreate' : rule);
  }

  private mix() {
    return { fraction: this.cfg.replicationMixedFraction, seed: this.cfg.replicationSeed };
  }

  /** GET one: 404 (undefined) for a new object, old content after a change, still there after a delete; mixed near the end. */
  read(kind: Kind, id: string): Json | undefined {
    return this.store.read(kind, id, this.now, this.readDelay, this.mix());
  }

  /** A list: every object as one read sees it. */
  list(kind: Kind): Json[] {
    return this.store.ids(kind).map((id) => this.read(kind, id)).filter((v): v is Json => v !== undefined);
  }

  /**
   * PATCH/DELETE target: the latest state, or undefined (404) when the object is absent, deleted, or
   * its creation has not replicated under `writeAfterCreate`.
   */
  writable(kind: Kind, id: string): Json | undefined {
    const current = this.store.current(kind, id);
    if (!current) return undefined;
    const versions = this.store.versions(kind, id);
    const created = [...versions].reverse().find((v) => v.op === 'create');
    if (created && created.writtenAt + this.delay('writeAfterCreate') > this.now) return undefined;
    return current;
  }

  /**
   * May a policy name this location (P3)? It must exist on every replica: in the latest write, in the
   * state replicated under `referenceAfterCreate` and in every state still replicating (a location
   * deleted and restored a moment ago may still be deleted on a replica).
   */
  locationReferencable(id: string): boolean {
    const states = this.store.inFlight('namedLocations', id.toLowerCase(), this.now, () => this.delay('referenceAfterCreate'));
    return states.every((s) => s !== null);
  }

  /**
   * NL8 on replicated state: trusted in the latest write, in the state replicated under `trustedDelete`
   * or in any state between them (trusted and un-trusted again a moment ago still counts).
   */
  trusted(id: string): boolean {
    const states = this.store.inFlight('namedLocations', id.toLowerCase(), this.now, this.preconditionDelay('trustedDelete'));
    return states.some((s) => s?.['isTrusted'] === true);
  }

  /**
   * NL9 on replicated state: a policy that references the location in its latest write, in the state
   * replicated under `referencedDelete` or in any state between them (a policy changed or deleted less
   * than that ago still counts, and so does a reference added and dropped again a moment ago).
   */
  referencingPolicy(locationId: string): Json | undefined {
    const lid = locationId.toLowerCase();
    for (const pid of this.store.ids('policies')) {
      const states = this.store.inFlight('policies', pid, this.now, this.preconditionDelay('referencedDelete'));
      const user = states.find((s) => s !== null && locationIds(s).includes(lid));
      if (user) return user;
    }
    return undefined;
  }

  /**
   * NL7/P9 on replicated state: how many objects exist in the latest or in the replicated view. A new
   * object counts at once; a deleted one until its delete has replicated under `countAfterDelete`.
   * `except`: an object being restored is not counted twice.
   */
  count(kind: Kind, except?: string): number {
    const deleteDelay: DelayOf = (v) => (v.op === 'delete' ? this.delay('countAfterDelete') : 0);
    return this.store
      .ids(kind)
      .filter((id) => id !== except)
      .filter((id) => this.store.inFlight(kind, id, this.now, deleteDelay).some((s) => s !== null)).length;
  }

  /** Deleted items whose delete has replicated (`readAfterDelete`), for the deleted-items list. */
  deletedItems(kind: Kind): Json[] {
    return this.store
      .deletedItems(kind)
      .filter((d) => d.deletedAt + this.delay('readAfterDelete') <= this.now)
      .map((d) => d.value);
  }

  deletedItem(kind: Kind, id: string): Json | undefined {
    const d = this.store.deletedItem(kind, id.toLowerCase());
    return d && d.deletedAt + this.delay('readAfterDelete') <= this.now ? d.value : undefined;
  }
}
