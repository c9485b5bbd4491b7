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
 *
 * Phases, one module each: select the shards (select-shards.ts), place the ranges
 * (plan-locations.ts), the policy (plan-policy.ts), the location steps and duplicates
 * (plan-shard-steps.ts), the safety checks (plan-safety.ts); this module orders the steps and
 * assembles the Plan. The policy refers to the final shards by LocationRef (location-ref.ts): a live
 * id, or a shard this plan creates, whose id apply learns from the POST.
 */
import { existingRef, shardRef } from './location-ref.ts';
import { decideGrace, graceMsOf, graceReport } from './plan-grace.ts';
import { planLocations, type LocationPlan } from './plan-locations.ts';
import { planPolicy, type PolicyPlan } from './plan-policy.ts';
import { broadRanges, ownershipOf, refusals } from './plan-safety.ts';
import { lockoutGuard } from './lockout-guard.ts';
import { signInShape, whatIfChecks } from './what-if-checks.ts';
import { planDuplicates, planShardSteps } from './plan-shard-steps.ts';
import type { DesiredRange, LiveLocation, LocationRef, OverflowReport, Plan, PlanInput, PlanMode, PolicyEnforcement } from './plan-types.ts';
import { isHeldOnly } from './removal-grace.ts';
import { selectShards } from './select-shards.ts';

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

function overflowReport(capacity: number, loc: LocationPlan, trimmed: PlanInput['trimmed']): OverflowReport {
  const bySource: Record<string, number> = {};
  for (const d of loc.dropped) for (const s of d.sources) bySource[s] = (bySource[s] ?? 0) + 1;
  for (const [s, n] of Object.entries(trimmed?.bySource ?? {})) bySource[s] = (bySource[s] ?? 0) + n;
  if (loc.droppedKept.length > 0) bySource['(kept live ranges)'] = loc.droppedKept.length;
  const dropped = trimmed ? [...topByWeight(loc.dropped, 20), ...trimmed.examples.map((e) => ({ ...e, sources: [] }))] : loc.dropped;
  const total = loc.dropped.length + (trimmed?.total ?? 0);
  return {
    capacity,
    total: total + loc.droppedKept.length,
    bySource,
    cutoffWeight: total === 0 ? undefined : (loc.cutoffWeight ?? lowestWeight(loc.selected)),
    examples: [...topByWeight(dropped, 20).map((d) => d.cidr), ...loc.droppedKept.slice(0, Math.max(0, 20 - total))],
  };
}

/** The lowest weight of the ranges kept (the cutoff when only the fan-in trimmed some). */
function lowestWeight(selected: readonly DesiredRange[]): number | undefined {
  let low: number | undefined;
  for (const d of selected) if (low === undefined || d.weight < low) low = d.weight;
  return low;
}

/**
 * Phase: place the ranges (desired, and those held in removal grace) in the shards; warnings for what
 * does not fit. Held ranges that do not fit are not overflow (plan-grace.ts reports them).
 */
function placeRanges(input: PlanInput, placed: readonly DesiredRange[], shards: Map<number, LiveLocation>, mode: PlanMode, warnings: string[]): LocationPlan {
  const nl = input.target.namedLocation;
  const all = planLocations({ shards, desired: placed, owned: input.owned, mode, maxRangesPerLocation: nl.maxRangesPerLocation, maxLocations: nl.maxLocations, isTrusted: nl.isTrusted });
  const dropped = all.dropped.filter((d) => !isHeldOnly(d));
  const loc = { ...all, dropped, cutoffWeight: dropped.length > 0 ? all.cutoffWeight : undefined };
  const left = loc.dropped.length + (input.trimmed?.total ?? 0);
  if (left > 0) {
    warnings.push(`${left} desired range(s) do not fit in ${nl.maxLocations} location(s) of ${nl.maxRangesPerLocation}; the highest-priority ranges were kept`);
  }
  if (loc.droppedKept.length > 0) {
    warnings.push(`${loc.droppedKept.length} range(s) not managed by this service no longer fit the configured capacity and are removed`);
  }
  return loc;
}

/** The shards left after the plan, in shard order: live ids, or shards the plan creates. */
function finalShards(loc: LocationPlan): LocationRef[] {
  return loc.outcomes.filter((o) => o.action !== 'delete').map((o) => (o.live ? existingRef(o.live.id) : shardRef(o.index)));
}

/** Every live object the target manages: its shards and its policy (all of the name with deleteExisting). */
function managedObjects(input: PlanInput, shards: ReadonlyMap<number, LiveLocation>, policy: PolicyPlan): Parameters<typeof ownershipOf>[1] {
  return [
    ...[...shards.values()].map((l) => ({ kind: 'named location' as const, id: l.id, displayName: l.displayName })),
    ...(input.target.policy.deleteExisting ? policy.ours : policy.ours.slice(0, 1)).map((p) => ({ kind: 'policy' as const, id: p.id, displayName: p.displayName })),
  ];
}

/**
 * What the run does to enforcement (plan-types.ts PolicyEnforcement), from the state the run gives the
 * policy: an engaged kill switch holds it disabled or report-only, so the run enforces nothing (no
 * What If enable, no report-only → enabled warning).
 */
function enforcementOf(input: PlanInput, policy: PolicyPlan): PolicyEnforcement {
  const exists = policy.chosen !== undefined || policy.steps.some((s) => s.kind === 'createPolicy');
  const state = input.killSwitch?.state ?? input.target.policy.state;
  if (!exists || policy.action === 'delete' || state !== 'enabled') return 'none';
  return policy.chosen?.state === 'enabled' ? 'enforced' : 'enables';
}

/** Enforcement, its warning (report-only → enabled), the lockout guard and the What If checks. */
function enforcementChecks(input: PlanInput, policy: PolicyPlan, loc: LocationPlan, refused: Plan['refusals'], warnings: string[]): Pick<Plan, 'whatIf'> & { enforcement: PolicyEnforcement } {
  const enforcement = enforcementOf(input, policy);
  if (enforcement === 'enables' && policy.chosen?.state === 'enabledForReportingButNotEnforced') {
    warnings.push(
      `policy "${input.target.policy.name}" moves from report-only (enabledForReportingButNotEnforced) to enabled: sign-ins from the blocked ranges will be refused from this run on`,
    );
  }
  lockoutGuard(input, policy, enforcement, refused, warnings);
  const checks = enforcement === 'none' ? [] : whatIfChecks(input.target, loc.selected.map((d) => d.cidr));
  return { enforcement, whatIf: checks.length === 0 ? undefined : { signIn: signInShape(input.target.policy), checks } };
}

export function planReconcile(input: PlanInput): Plan {
  const { target, owned } = input;
  const mode = planMode(input);
  const warnings: string[] = [];
  const broad = broadRanges(input, warnings);
  const { shards, duplicates } = selectShards(target.namedLocation.name, input.live.locations, input.objectOwners?.self);
  const held = decideGrace(input, shards, mode);
  const loc = placeRanges(input, held.effective, shards, mode, warnings);
  const grace = graceReport(held, graceMsOf(input, mode), loc, warnings);
  const policy = planPolicy(input, finalShards(loc), loc.finalRanges, warnings);
  const shardSteps = planShardSteps(input, loc, policy.touched, warnings);
  const dups = planDuplicates(input, duplicates, shards, warnings);
  // Creates, gains, losses, the policy, then deletes: see the header.
  const steps = [...shardSteps.creates, ...shardSteps.gains, ...shardSteps.losses, ...policy.steps, ...shardSteps.deletes, ...dups.steps];
  const refused = refusals(input, loc, warnings);
  const ownership = ownershipOf(input, managedObjects(input, shards, policy), refused, warnings);
  const { enforcement, whatIf } = enforcementChecks(input, policy, loc, refused, warnings);
  return {
    target: target.name,
    summary: {
      mode,
      desired: input.desired.length + (input.trimmed?.total ?? 0),
      liveRanges: loc.liveRanges,
      finalRanges: loc.finalRanges,
      owned: owned.size,
      ownedRemoved: loc.ownedRemoved,
      kept: loc.kept,
      added: loc.added,
      removed: loc.removed,
      writes: steps.length,
      inGrace: grace.held.length,
    },
    steps,
    locations: shardSteps.locations,
    policy: { id: policy.chosen?.id, action: policy.action, changes: policy.changes, enforcement, ...(input.killSwitch ? { killSwitch: input.killSwitch } : {}) },
    whatIf,
    overflow: overflowReport(target.namedLocation.maxRangesPerLocation * target.namedLocation.maxLocations, loc, input.trimmed),
    ownedCleanup: loc.ownedNotFinal.filter((r) => !shardSteps.stuck.has(r)),
    ownedReplace: mode === 'clear' ? loc.selected.map((d) => d.cidr) : undefined,
    broadRanges: broad,
    duplicates: dups.report,
    ownership,
    grace,
    warnings,
    refusals: refused,
  };
}
