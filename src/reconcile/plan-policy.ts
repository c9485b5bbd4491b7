/**
 * The policy half of the plan: which live policy is the target's, and the steps that make it block
 * the final shards.
 *
 * - The target's policy is the one with the configured display name that wins under the one-name
 *   rule (src/graph/same-name-winner.ts: recorded as this target's first, then the oldest); several →
 *   a warning, and with deleteExisting the others are deleted too.
 * - Nothing left to block → delete it (a location condition with no location would block everyone).
 * - None yet → create it. Changed managed fields → update it (`removeLocationFromPolicy` when the only
 *   change drops shards about to be deleted), or with deleteExisting re-create it: the new one first,
 *   then the old one(s), so there is never a moment without a blocking policy. Unchanged (and no
 *   duplicate under deleteExisting) → no write.
 * - Kill switch engaged (input.killSwitch): the desired state is the switch's (`disabled` or
 *   report-only) instead of `policy.state`, in every step (create, update, re-create), so a reconcile
 *   keeps the locations up to date but never re-enables the policy.
 */
import type { PolicyConfig } from '../config/schema.ts';
import type { ConditionalAccessPolicy } from '../graph/graph-types.ts';
import { sameNameOrder } from '../graph/same-name-winner.ts';
import type { LocationRef, Plan, PlanInput, PlanStep, PolicyFieldChange } from './plan-types.ts';
import { buildPlannedPolicyBody, diffPolicy, onlyRemovesLocations } from './policy-body.ts';

export interface PolicyPlan {
  /** The policies with the target's name, the winner first. */
  ours: ConditionalAccessPolicy[];
  /** The target's policy (the winner), if any. */
  chosen: ConditionalAccessPolicy | undefined;
  steps: PlanStep[];
  action: Plan['policy']['action'];
  changes: PolicyFieldChange[];
  /** Ids of the policies the steps rewrite or delete (they drop a shard before it is deleted). */
  touched: Set<string>;
}

/** The policies with the target's name, winner first; a warning when there are several. */
function choosePolicy(input: PlanInput, warnings: string[]): Pick<PolicyPlan, 'ours' | 'chosen'> {
  const self = input.objectOwners?.self;
  const name = input.target.policy.name;
  const ours = input.live.policies.filter((p) => p.displayName === name).sort(sameNameOrder(self));
  const chosen = ours[0];
  if (chosen && ours.length > 1) {
    const which = self?.has(chosen.id.toLowerCase()) ? "the one recorded as this target's" : 'the oldest';
    warnings.push(`${ours.length} policies are named "${name}"; managing ${which} (${chosen.id})`);
  }
  return { ours, chosen };
}

function deleteSteps(victims: readonly ConditionalAccessPolicy[], reason: 'deleteExisting' | 'noRanges'): PlanStep[] {
  return victims.map((p) => ({ kind: 'deletePolicy', id: p.id, displayName: p.displayName, reason }));
}

/** The policy settings the plan builds the body from: the configured ones, the state held by an engaged kill switch. */
function desiredPolicyConfig(input: Pick<PlanInput, 'target' | 'killSwitch'>): PolicyConfig {
  const policy = input.target.policy;
  return input.killSwitch ? { ...policy, state: input.killSwitch.state } : policy;
}

/** An existing policy: update it, re-create it (deleteExisting), or leave it. */
function changeExisting(input: PlanInput, chosen: ConditionalAccessPolicy, base: PolicyPlan, shards: readonly LocationRef[]): PolicyPlan {
  const policy = desiredPolicyConfig(input);
  const body = buildPlannedPolicyBody(policy, shards, chosen);
  const changes = diffPolicy(body, chosen);
  if (policy.deleteExisting && (changes.length > 0 || base.ours.length > 1)) {
    // The new policy first, then the old ones: there is never a moment without a blocking policy.
    const fresh = buildPlannedPolicyBody(policy, shards, undefined);
    const steps: PlanStep[] = [{ kind: 'createPolicy', displayName: fresh.displayName, body: fresh }, ...deleteSteps(base.ours, 'deleteExisting')];
    return { ...base, steps, action: 'recreate', changes, touched: new Set(base.ours.map((p) => p.id)) };
  }
  if (changes.length === 0) return { ...base, changes };
  const kind = onlyRemovesLocations(changes) ? 'removeLocationFromPolicy' : 'updatePolicy';
  const steps: PlanStep[] = [{ kind, id: chosen.id, displayName: chosen.displayName, body, changes }];
  return { ...base, steps, action: 'update', changes, touched: new Set([chosen.id]) };
}

/**
 * The policy steps. `shards`: the final shards (live ids, or shards the plan creates), in shard
 * order; `finalRanges`: ranges in the target after the plan.
 */
export function planPolicy(input: PlanInput, shards: readonly LocationRef[], finalRanges: number, warnings: string[]): PolicyPlan {
  const { ours, chosen } = choosePolicy(input, warnings);
  const base: PolicyPlan = { ours, chosen, steps: [], action: 'unchanged', changes: [], touched: new Set() };
  if (finalRanges === 0) {
    const victims = input.target.policy.deleteExisting ? ours : ours.slice(0, 1);
    if (victims.length === 0) return base;
    return { ...base, steps: deleteSteps(victims, 'noRanges'), action: 'delete', touched: new Set(victims.map((p) => p.id)) };
  }
  if (!chosen) {
    const body = buildPlannedPolicyBody(desiredPolicyConfig(input), shards, undefined);
    return { ...base, steps: [{ kind: 'createPolicy', displayName: body.displayName, body }], action: 'create' };
  }
  return changeExisting(input, chosen, base, shards);
}
