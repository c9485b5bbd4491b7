/**
 * The named-location steps of the plan, from the shard outcomes of planLocations:
 * - a create per new shard, an update per changed shard (those that gain ranges apart from those that
 *   only lose some, so plan.ts can order gains first and a range moving between shards is never
 *   briefly unblocked), a delete per emptied shard: unless a policy the plan does not rewrite still
 *   references it, then it is left as it is, with a warning (Graph refuses to delete it);
 * - the per-location diff the plan reports;
 * - the duplicates of shards (locations with a shard name that lost under the one-name rule): deleted
 *   when ours (recorded as this target's, or holding only ranges this service wrote, and no other
 *   target's) and referenced by no policy; left alone otherwise. Each is named in a warning.
 */
import type { ConditionalAccessPolicy } from '../graph/graph-types.ts';
import { NO_OWNERS } from './object-owners.ts';
import type { LocationPlan, ShardOutcome } from './plan-locations.ts';
import type { CreateLocationStep, DeleteLocationStep, LiveLocation, LocationDiff, Plan, PlanInput, UpdateLocationStep } from './plan-types.ts';
import type { ShardDuplicate } from './select-shards.ts';
import { shardName } from '../config/location-names.ts';

export interface ShardSteps {
  creates: CreateLocationStep[];
  /** Updates that add ranges, then updates that only remove some. */
  gains: UpdateLocationStep[];
  losses: UpdateLocationStep[];
  deletes: DeleteLocationStep[];
  locations: LocationDiff[];
  /** Ranges of shards left in place because another policy references them (not cleaned from the record). */
  stuck: Set<string>;
}

/** Location id (lower case) → display name of a policy referencing it, over the policies not skipped. */
function referencingPolicies(policies: readonly ConditionalAccessPolicy[], skip: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of policies) {
    if (skip.has(p.id)) continue;
    const l = p.conditions.locations;
    for (const id of [...(l?.includeLocations ?? []), ...(l?.excludeLocations ?? [])]) out.set(id.toLowerCase(), p.displayName);
  }
  return out;
}

interface StepContext {
  input: PlanInput;
  loc: LocationPlan;
  /** Location id (lower case) → a policy the plan leaves as is that references it. */
  referencedElsewhere: ReadonlyMap<string, string>;
  out: ShardSteps;
  warnings: string[];
}

/** The step one shard needs (if any), filed in its bucket; returns the action the diff reports. */
function shardStep(o: ShardOutcome, displayName: string, ctx: StepContext): LocationDiff['action'] {
  const { input, loc, out } = ctx;
  const isTrusted = input.target.namedLocation.isTrusted;
  const ownedGone = (rs: readonly string[]) => rs.filter((r) => input.owned.has(r) && !loc.isFinal(r));
  switch (o.action) {
    case 'create':
      out.creates.push({ kind: 'createLocation', shard: o.index, displayName, ranges: o.content, isTrusted, ownedAdd: o.content.filter(loc.isSelected), ownedRemove: [] });
      return o.action;
    case 'update': {
      const { index: shard, content: ranges, added, removed } = o;
      const step: UpdateLocationStep = { kind: 'updateLocation', shard, id: o.live.id, displayName, ranges, isTrusted, added, removed, ownedAdd: added.filter(loc.isSelected), ownedRemove: ownedGone(removed) };
      (added.length > 0 ? out.gains : out.losses).push(step);
      return o.action;
    }
    case 'delete': {
      const by = ctx.referencedElsewhere.get(o.live.id.toLowerCase());
      if (by === undefined) {
        out.deletes.push({ kind: 'deleteLocation', shard: o.index, id: o.live.id, displayName, isTrusted: o.live.isTrusted, removed: o.removed, ownedRemove: ownedGone(o.removed) });
        return o.action;
      }
      ctx.warnings.push(`named location "${displayName}" is referenced by policy "${by}" and is left as it is instead of being deleted`);
      for (const r of o.live.ranges) out.stuck.add(r);
      return 'unchanged';
    }
    case 'unchanged':
      return o.action;
    default: {
      const never: never = o;
      throw new Error(`unhandled shard outcome ${JSON.stringify(never)}`);
    }
  }
}

/** `touchedPolicies`: ids of the policies the plan rewrites or deletes (they drop shards first). */
export function planShardSteps(input: PlanInput, loc: LocationPlan, touchedPolicies: ReadonlySet<string>, warnings: string[]): ShardSteps {
  const out: ShardSteps = { creates: [], gains: [], losses: [], deletes: [], locations: [], stuck: new Set() };
  // Policies we rewrite or delete drop the shard first; ours, unchanged, cannot reference a deleted shard.
  const ctx: StepContext = { input, loc, referencedElsewhere: referencingPolicies(input.live.policies, touchedPolicies), out, warnings };
  for (const o of loc.outcomes) {
    const displayName = o.live?.displayName ?? shardName(input.target.namedLocation.name, o.index);
    const action = shardStep(o, displayName, ctx);
    const unchanged = action === 'unchanged';
    out.locations.push({
      shard: o.index,
      displayName,
      id: o.live?.id,
      action,
      added: unchanged ? [] : o.added,
      removed: unchanged ? [] : o.removed,
      size: unchanged ? (o.live?.ranges.length ?? 0) : o.content.length,
    });
  }
  return out;
}

function isOursToDelete(input: PlanInput, d: LiveLocation): boolean {
  const owners = input.objectOwners ?? NO_OWNERS;
  const id = d.id.toLowerCase();
  const otherOwner = owners.active.has(id) || owners.unknown.has(id) || owners.stale.has(id);
  return !otherOwner && ((owners.self?.has(id) ?? false) || (d.ranges.length > 0 && d.ranges.every((r) => input.owned.has(r))));
}

/** Delete steps and the report for the duplicates of shards (see the header); `shards`: the winners by index. */
export function planDuplicates(
  input: PlanInput,
  duplicates: readonly ShardDuplicate[],
  shards: ReadonlyMap<number, LiveLocation>,
  warnings: string[],
): { steps: DeleteLocationStep[]; report: Plan['duplicates'] } {
  const referenced = referencingPolicies(input.live.policies, new Set());
  const self = input.objectOwners?.self;
  const steps: DeleteLocationStep[] = [];
  const report: Plan['duplicates'] = [];
  for (const { location: d, index } of duplicates) {
    const winnerOwned = self?.has((shards.get(index) as LiveLocation).id.toLowerCase()) ?? false;
    const of = winnerOwned && !(self?.has(d.id.toLowerCase()) ?? false) ? "the one of the same name recorded as this target's" : 'an older one of the same name';
    if (isOursToDelete(input, d) && !referenced.has(d.id.toLowerCase())) {
      steps.push({ kind: 'deleteLocation', shard: index, id: d.id, displayName: d.displayName, isTrusted: d.isTrusted, removed: [], ownedRemove: [], duplicate: true });
      report.push({ id: d.id, displayName: d.displayName, action: 'delete' });
      warnings.push(`named location "${d.displayName}" (${d.id}) duplicates ${of} and is deleted (ours, referenced by no policy)`);
    } else {
      report.push({ id: d.id, displayName: d.displayName, action: 'left' });
      warnings.push(`named location "${d.displayName}" (${d.id}) duplicates ${of} and is left alone`);
    }
  }
  return { steps, report };
}
