/**
 * planReconcile: the pure heart of reconcile. (target config, desired ranges, live Entra state,
 * owned-ranges record, flags, token tenant) → Plan: the ordered Graph writes, the per-location diff,
 * the policy field changes, the overflow report and any safety refusal. No I/O; deterministic.
 *
 * Step order (each step is one Graph write):
 *   1. create locations (new shards), 2. update locations that gain ranges, 3. update locations that
 *   only lose ranges (so a range moving between shards is never briefly unblocked), 4. policy:
 *   delete (deleteExisting, or nothing left to block) / create / update, referencing the final shards,
 *   5. delete emptied shards (they are out of the policy by then; Graph refuses to delete a
 *   referenced location).
 *
 * Policy choices: the policy is the one with the configured display name that wins under the one-name
 * rule (src/graph/same-name-winner.ts: recorded as this target's first, then the oldest; several → a
 * warning; with deleteExisting the others are deleted too). Shards are picked by the same rule. `deleteExisting` creates the new policy and then
 * deletes the old one(s) when its managed body differs (or duplicates exist), so there is never a
 * moment without a blocking policy; an unchanged policy is left alone so a run
 * with no change makes zero writes. When the target ends with no range at all the policy is deleted
 * (a location condition with no location would block everyone). A shard to delete that another
 * policy still references is left as it is, with a warning.
 *
 * Safety refusals (apply throws the first; the plan is still computed so `plan` can show it):
 *   ERR_SAFETY_TENANT  the token's tenant differs from target.tenantId (checked when tenantId is a
 *                      GUID; a domain-name tenantId cannot be compared and yields a warning). Never forced.
 *   ERR_SAFETY_EMPTY   desired is empty with safety.refuseEmpty (unless force).
 *   ERR_SAFETY_REMOVAL the plan removes more than safety.maxRemovalFraction of the owned ranges present
 *                      in the target, in any mode (unless force).
 *   ERR_SAFETY_OWNED_BY_OTHER_TARGET  a shard or the policy is recorded as another target's (see
 *                      object-owners.ts): never forced when that target is in the configuration; with
 *                      force when it is not (the object is then taken over).
 *
 * Warnings (not refusals): every desired range broader than safety.warnBroaderThanV4/V6 ("very broad").
 */
import type { SyncError } from '../errors/sync-error.ts';
import type { ConditionalAccessPolicy } from '../graph/graph-types.ts';
import { SafetyEmptyError } from './errors/safety-empty-error.ts';
import { SafetyOwnedByOtherTargetError } from './errors/safety-owned-error.ts';
import { SafetyRemovalError } from './errors/safety-removal-error.ts';
import { SafetyTenantError } from './errors/safety-tenant-error.ts';
import { NO_OWNERS } from './object-owners.ts';
import { planLocations, type LocationPlan } from './plan-locations.ts';
import { selectShards } from './select-shards.ts';
import { sameNameOrder } from '../graph/same-name-winner.ts';
import type { DesiredRange, LiveLocation, LocationDiff, OverflowReport, Plan, PlanInput, PlanMode, PlanStep } from './plan-types.ts';
import { buildPolicyBody, diffPolicy, onlyRemovesLocations } from './policy-body.ts';
import { shardName, shardRef } from './shard-names.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function planMode(input: Pick<PlanInput, 'target' | 'manual'>): PlanMode {
  return input.manual && input.target.namedLocation.clearOnManualRun ? 'clear' : input.target.mode;
}

/** The `k` highest-weight ranges, highest first (ties in input order), in one pass. */
function topByWeight(items: readonly DesiredRange[], k: number): DesiredRange[] {
  const top: DesiredRange[] = [];
  for (const d of items) {
    if (top.length === k && (top[k - 1] as DesiredRange).weight >= d.weight) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as DesiredRange).weight < d.weight) at -= 1;
    top.splice(at, 0, d);
    if (top.length > k) top.pop();
  }
  return top;
}

function overflowReport(capacity: number, loc: LocationPlan): OverflowReport {
  const bySource: Record<string, number> = {};
  for (const d of loc.dropped) for (const s of d.sources) bySource[s] = (bySource[s] ?? 0) + 1;
  if (loc.droppedKept.length > 0) bySource['(kept live ranges)'] = loc.droppedKept.length;
  return {
    capacity,
    total: loc.dropped.length + loc.droppedKept.length,
    bySource,
    cutoffWeight: loc.cutoffWeight,
    examples: [...topByWeight(loc.dropped, 20).map((d) => d.cidr), ...loc.droppedKept.slice(0, Math.max(0, 20 - loc.dropped.length))],
  };
}

function refusals(input: PlanInput, loc: LocationPlan, warnings: string[]): SyncError[] {
  const { target } = input;
  const out: SyncError[] = [];
  if (GUID.test(target.tenantId)) {
    if (target.tenantId.toLowerCase() !== input.tokenTenantId.toLowerCase()) {
      out.push(new SafetyTenantError(target.name, target.tenantId, input.tokenTenantId));
    }
  } else {
    warnings.push(`tenantId "${target.tenantId}" is not a GUID: the token's tenant (${input.tokenTenantId}) could not be checked`);
  }
  if (!input.force && input.desired.length === 0 && target.safety.refuseEmpty) out.push(new SafetyEmptyError(target.name));
  const fraction = loc.ownedLive === 0 ? 0 : loc.ownedRemoved / loc.ownedLive;
  if (!input.force && fraction > target.safety.maxRemovalFraction) {
    out.push(new SafetyRemovalError(target.name, loc.ownedRemoved, loc.ownedLive, target.safety.maxRemovalFraction));
  }
  return out;
}

/**
 * Ownership between targets: every live object this target manages (its shards, its policy) that the
 * record gives to another target is refused (active owner: never; unknown owner: unless force, which
 * takes it over) or taken over with a warning (stale owner). See object-owners.ts.
 */
function ownershipOf(
  input: PlanInput,
  managed: readonly { kind: 'named location' | 'policy'; id: string; displayName: string }[],
  refused: SyncError[],
  warnings: string[],
): Plan['ownership'] {
  const owners = input.objectOwners ?? NO_OWNERS;
  const takeover: string[] = [];
  for (const obj of managed) {
    const id = obj.id.toLowerCase();
    const active = owners.active.get(id);
    const unknown = owners.unknown.get(id);
    const stale = owners.stale.get(id);
    if (active !== undefined) {
      refused.push(new SafetyOwnedByOtherTargetError(input.target.name, obj, active, true));
    } else if (unknown !== undefined && !input.force) {
      refused.push(new SafetyOwnedByOtherTargetError(input.target.name, obj, unknown, false));
    } else if (unknown !== undefined || stale !== undefined) {
      const why = unknown !== undefined ? 'which is not in this configuration (--force)' : 'which no longer manages it';
      warnings.push(`${obj.kind} "${obj.displayName}" (${obj.id}) was recorded as target "${unknown ?? stale}"'s, ${why}: taken over`);
      takeover.push(obj.id);
    }
  }
  return { claim: managed.map((m) => m.id), takeover };
}

/** Warnings naming at most this many very broad ranges; the plan's broadRanges lists them all. */
const BROAD_WARNINGS = 20;

/**
 * Desired ranges broader than safety.warnBroaderThanV4/V6 (accepted, but no real feed we know of needs
 * them: the broadest entries of Spamhaus DROP and DROPv6 are /12 and /29), one warning each.
 */
function broadRanges(input: PlanInput, warnings: string[]): string[] {
  const { warnBroaderThanV4: v4, warnBroaderThanV6: v6 } = input.target.safety;
  const out: string[] = [];
  for (const d of input.desired) {
    const slash = d.cidr.lastIndexOf('/');
    if (slash < 0) continue;
    const prefix = Number(d.cidr.slice(slash + 1));
    if (prefix < (d.cidr.includes(':') ? v6 : v4)) out.push(d.cidr);
  }
  for (const cidr of out.slice(0, BROAD_WARNINGS)) {
    const family = cidr.includes(':') ? 'IPv6' : 'IPv4';
    const limit = family === 'IPv6' ? v6 : v4;
    warnings.push(`very broad range ${cidr} is blocked (broader than /${limit}, safety.warnBroaderThan${family === 'IPv6' ? 'V6' : 'V4'}): check the indicator is meant`);
  }
  if (out.length > BROAD_WARNINGS) warnings.push(`… and ${out.length - BROAD_WARNINGS} more very broad range(s) (plan --json lists them all)`);
  return out;
}

export function planReconcile(input: PlanInput): Plan {
  const { target, owned } = input;
  const nl = target.namedLocation;
  const mode = planMode(input);
  const warnings: string[] = [];

  const broad = broadRanges(input, warnings);
  const self = input.objectOwners?.self;
  const { shards, duplicates } = selectShards(nl.name, input.live.locations, self);
  const loc = planLocations({
    shards,
    desired: input.desired,
    owned,
    mode,
    maxRangesPerLocation: nl.maxRangesPerLocation,
    maxLocations: nl.maxLocations,
    isTrusted: nl.isTrusted,
  });
  const capacity = nl.maxRangesPerLocation * nl.maxLocations;
  if (loc.dropped.length > 0) {
    warnings.push(`${loc.dropped.length} desired range(s) do not fit in ${nl.maxLocations} location(s) of ${nl.maxRangesPerLocation}; the highest-priority ranges were kept`);
  }
  if (loc.droppedKept.length > 0) {
    warnings.push(`${loc.droppedKept.length} range(s) not managed by this service no longer fit the configured capacity and are removed`);
  }

  // Policy: ours is the winner of the one-name rule (same-name-winner.ts) among those with the configured name.
  const ours = input.live.policies.filter((p) => p.displayName === target.policy.name).sort(sameNameOrder(self));
  const chosen: ConditionalAccessPolicy | undefined = ours[0];
  if (chosen && ours.length > 1) {
    const which = self?.has(chosen.id.toLowerCase()) ? "the one recorded as this target's" : 'the oldest';
    warnings.push(`${ours.length} policies are named "${target.policy.name}"; managing ${which} (${chosen.id})`);
  }

  const finalIds = loc.outcomes
    .filter((o) => o.action !== 'delete')
    .map((o) => o.live?.id ?? shardRef(o.index));
  const policySteps: PlanStep[] = [];
  let policyAction: Plan['policy']['action'] = 'unchanged';
  let policyChanges: Plan['policy']['changes'] = [];
  const touchedPolicies = new Set<string>();
  if (loc.finalRanges === 0) {
    const victims = target.policy.deleteExisting ? ours : ours.slice(0, 1);
    for (const p of victims) {
      policySteps.push({ kind: 'deletePolicy', id: p.id, displayName: p.displayName, reason: 'noRanges' });
      touchedPolicies.add(p.id);
    }
    if (victims.length > 0) policyAction = 'delete';
  } else if (!chosen) {
    const body = buildPolicyBody(target.policy, finalIds, undefined);
    policySteps.push({ kind: 'createPolicy', displayName: body.displayName, body });
    policyAction = 'create';
  } else {
    const body = buildPolicyBody(target.policy, finalIds, chosen);
    policyChanges = diffPolicy(body, chosen);
    if (target.policy.deleteExisting && (policyChanges.length > 0 || ours.length > 1)) {
      // The new policy first, then the old ones: there is never a moment without a blocking policy.
      const fresh = buildPolicyBody(target.policy, finalIds, undefined);
      policySteps.push({ kind: 'createPolicy', displayName: fresh.displayName, body: fresh });
      for (const p of ours) {
        policySteps.push({ kind: 'deletePolicy', id: p.id, displayName: p.displayName, reason: 'deleteExisting' });
        touchedPolicies.add(p.id);
      }
      policyAction = 'recreate';
    } else if (policyChanges.length > 0) {
      const kind = onlyRemovesLocations(policyChanges) ? 'removeLocationFromPolicy' : 'updatePolicy';
      policySteps.push({ kind, id: chosen.id, displayName: chosen.displayName, body, changes: policyChanges });
      touchedPolicies.add(chosen.id);
      policyAction = 'update';
    }
  }

  // Shards still referenced by a policy we do not rewrite cannot be deleted: leave them as they are.
  const referencedElsewhere = new Map<string, string>();
  for (const p of input.live.policies) {
    // Policies we rewrite or delete drop the shard first; ours, unchanged, cannot reference a deleted shard.
    if (touchedPolicies.has(p.id)) continue;
    const l = p.conditions.locations;
    for (const id of [...(l?.includeLocations ?? []), ...(l?.excludeLocations ?? [])]) referencedElsewhere.set(id.toLowerCase(), p.displayName);
  }

  const creates: PlanStep[] = [];
  const gains: PlanStep[] = [];
  const losses: PlanStep[] = [];
  const deletes: PlanStep[] = [];
  const locations: LocationDiff[] = [];
  const stuck = new Set<string>();
  const ownedOf = (rs: readonly string[]) => rs.filter((r) => loc.isSelected(r));
  const ownedGone = (rs: readonly string[]) => rs.filter((r) => owned.has(r) && !loc.isFinal(r));
  for (const o of loc.outcomes) {
    const displayName = o.live?.displayName ?? shardName(nl.name, o.index);
    let action = o.action;
    if (o.action === 'create') {
      creates.push({ kind: 'createLocation', shard: o.index, displayName, ranges: o.content, isTrusted: nl.isTrusted, ownedAdd: ownedOf(o.content), ownedRemove: [] });
    } else if (o.action === 'update' && o.live) {
      const step: PlanStep = {
        kind: 'updateLocation',
        shard: o.index,
        id: o.live.id,
        displayName,
        ranges: o.content,
        isTrusted: nl.isTrusted,
        added: o.added,
        removed: o.removed,
        ownedAdd: ownedOf(o.added),
        ownedRemove: ownedGone(o.removed),
      };
      (o.added.length > 0 ? gains : losses).push(step);
    } else if (o.action === 'delete' && o.live) {
      const by = referencedElsewhere.get(o.live.id.toLowerCase());
      if (by !== undefined) {
        warnings.push(`named location "${displayName}" is referenced by policy "${by}" and is left as it is instead of being deleted`);
        for (const r of o.live.ranges) stuck.add(r);
        action = 'unchanged';
      } else {
        deletes.push({ kind: 'deleteLocation', shard: o.index, id: o.live.id, displayName, isTrusted: o.live.isTrusted, removed: o.removed, ownedRemove: ownedGone(o.removed) });
      }
    }
    locations.push({
      shard: o.index,
      displayName,
      id: o.live?.id,
      action,
      added: action === 'unchanged' ? [] : o.added,
      removed: action === 'unchanged' ? [] : o.removed,
      size: action === 'unchanged' ? (o.live?.ranges.length ?? 0) : o.content.length,
    });
  }

  // Duplicates of a shard (an ambiguous create that happened twice): ours (recorded as this target's,
  // or holding only ranges this service wrote) and referenced by no policy are deleted; others stay.
  const owners = input.objectOwners ?? NO_OWNERS;
  const referencedAny = new Set<string>();
  for (const p of input.live.policies) {
    const l = p.conditions.locations;
    for (const id of [...(l?.includeLocations ?? []), ...(l?.excludeLocations ?? [])]) referencedAny.add(id.toLowerCase());
  }
  const duplicatesRemoved: Plan['duplicates'] = [];
  for (const { location: d, index } of duplicates) {
    const id = d.id.toLowerCase();
    const winner = shards.get(index) as LiveLocation;
    const of = (self?.has(winner.id.toLowerCase()) ?? false) && !(self?.has(id) ?? false) ? "the one of the same name recorded as this target's" : 'an older one of the same name';
    const otherOwner = owners.active.has(id) || owners.unknown.has(id) || owners.stale.has(id);
    const isOurs = !otherOwner && ((owners.self?.has(id) ?? false) || (d.ranges.length > 0 && d.ranges.every((r) => owned.has(r))));
    if (isOurs && !referencedAny.has(id)) {
      deletes.push({ kind: 'deleteLocation', shard: index, id: d.id, displayName: d.displayName, isTrusted: d.isTrusted, removed: [], ownedRemove: [], duplicate: true });
      duplicatesRemoved.push({ id: d.id, displayName: d.displayName, action: 'delete' });
      warnings.push(`named location "${d.displayName}" (${d.id}) duplicates ${of} and is deleted (ours, referenced by no policy)`);
    } else {
      duplicatesRemoved.push({ id: d.id, displayName: d.displayName, action: 'left' });
      warnings.push(`named location "${d.displayName}" (${d.id}) duplicates ${of} and is left alone`);
    }
  }

  const steps = [...creates, ...gains, ...losses, ...policySteps, ...deletes];
  const refused = refusals(input, loc, warnings);
  const managed = [
    ...[...shards.values()].map((l) => ({ kind: 'named location' as const, id: l.id, displayName: l.displayName })),
    ...(target.policy.deleteExisting ? ours : ours.slice(0, 1)).map((p) => ({ kind: 'policy' as const, id: p.id, displayName: p.displayName })),
  ];
  const ownership = ownershipOf(input, managed, refused, warnings);
  const ownedCleanup: string[] = [];
  for (const r of loc.ownedNotFinal) if (!stuck.has(r)) ownedCleanup.push(r);

  return {
    target: target.name,
    summary: {
      mode,
      desired: input.desired.length,
      liveRanges: loc.liveRanges,
      finalRanges: loc.finalRanges,
      owned: owned.size,
      ownedRemoved: loc.ownedRemoved,
      kept: loc.kept,
      added: loc.added,
      removed: loc.removed,
      writes: steps.length,
    },
    steps,
    locations,
    policy: { id: chosen?.id, action: policyAction, changes: policyChanges },
    overflow: overflowReport(capacity, loc),
    ownedCleanup,
    ownedReplace: mode === 'clear' ? loc.selected.map((d) => d.cidr) : undefined,
    broadRanges: broad,
    duplicates: duplicatesRemoved,
    ownership,
    warnings,
    refusals: refused,
  };
}
