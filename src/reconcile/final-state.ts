/**
 * finalStateOf (pure): what the target's policy and named locations hold once a plan has been applied,
 * from the live state the plan was made from and the plan itself: a location the plan creates or
 * updates holds the step's full ranges, an unchanged one its live ranges, a deleted one is gone; the
 * policy has the state of the last body the plan writes, else its live state (none once deleted).
 * Recorded for the status page (src/state/target-status-store.ts).
 */
import type { TargetStatus } from '../state/target-status-store.ts';
import type { LiveState, Plan } from './plan-types.ts';

function policyAfter(plan: Plan, live: LiveState): TargetStatus['policy'] {
  let written: TargetStatus['policy'];
  for (const step of plan.steps) {
    if (step.kind === 'createPolicy' || step.kind === 'updatePolicy' || step.kind === 'removeLocationFromPolicy') {
      written = { displayName: step.displayName, state: step.body.state };
    }
  }
  if (written) return written;
  if (plan.policy.action === 'delete') return undefined;
  const p = live.policies.find((x) => x.id === plan.policy.id);
  return p ? { displayName: p.displayName, state: p.state } : undefined;
}

function locationRanges(plan: Plan, live: LiveState, l: Plan['locations'][number]): readonly string[] {
  for (const step of plan.steps) {
    if ((step.kind === 'createLocation' || step.kind === 'updateLocation') && step.shard === l.shard) return step.ranges;
  }
  return live.locations.find((x) => x.id === l.id)?.ranges ?? [];
}

export function finalStateOf(plan: Plan, live: LiveState, tenantId: string, recordedAt: Date): TargetStatus {
  return {
    recordedAt: recordedAt.toISOString(),
    tenantId,
    policy: policyAfter(plan, live),
    locations: plan.locations
      .filter((l) => l.action !== 'delete')
      .sort((a, b) => a.shard - b.shard)
      .map((l) => ({ displayName: l.displayName, ranges: locationRanges(plan, live, l) })),
  };
}
