/**
 * The lockout guard at plan time (pure). A policy the run creates in state `enabled`, or moves to
 * `enabled`, whose users include `All` with no user or group excluded by object id is refused with
 * SafetyLockoutError (ERR_SAFETY_LOCKOUT) unless `safety.allowNoExclusions` (Microsoft: "Exclude
 * emergency access accounts from all Conditional Access policies"). The users judged are those the
 * policy will have: the configuration's `policy.users` when it manages them (the configuration is
 * also refused at load, src/config/schema.ts), else the live policy's (an administrator's edit). A
 * policy that is already enforced that way is not refused (the run does not enable it) but warned about.
 */
import { isGuid } from '../config/schema.ts';
import type { SyncError } from '../errors/sync-error.ts';
import type { PolicyUsers } from '../graph/graph-types.ts';
import { SafetyLockoutError } from './errors/safety-lockout-error.ts';
import type { PolicyPlan } from './plan-policy.ts';
import type { PlanInput, PolicyEnforcement } from './plan-types.ts';

/** All users, and no user or group excluded by object id (a keyword such as GuestsOrExternalUsers protects no emergency account). */
export function locksEveryoneOut(users: Partial<PolicyUsers> | null | undefined): boolean {
  if (!users) return false;
  const all = (users.includeUsers ?? []).some((u) => u.toLowerCase() === 'all');
  return all && ![...(users.excludeUsers ?? []), ...(users.excludeGroups ?? [])].some(isGuid);
}

/** The users the policy has after the plan, and where they come from. */
function usersAfter(input: PlanInput, policy: PolicyPlan): { users: Partial<PolicyUsers> | null | undefined; from: 'configuration' | 'live policy' } {
  const step = policy.steps.find((s) => s.kind === 'createPolicy' || s.kind === 'updatePolicy' || s.kind === 'removeLocationFromPolicy');
  const planned = step && 'body' in step ? step.body.conditions.users : undefined;
  if (planned !== undefined) return { users: planned, from: input.target.policy.users ? 'configuration' : 'live policy' };
  return { users: policy.chosen?.conditions.users, from: 'live policy' };
}

/** Appends the refusal (enabling) or a warning (already enforced) when the policy locks everyone out. */
export function lockoutGuard(input: PlanInput, policy: PolicyPlan, enforcement: PolicyEnforcement, refused: SyncError[], warnings: string[]): void {
  if (enforcement === 'none' || input.target.safety.allowNoExclusions) return;
  const { users, from } = usersAfter(input, policy);
  if (!locksEveryoneOut(users)) return;
  const name = input.target.policy.name;
  if (enforcement === 'enables') refused.push(new SafetyLockoutError(input.target.name, name, from));
  else warnings.push(`policy "${name}" is enforced for All users with no user or group excluded (users from the ${from}): emergency access accounts are blocked from these ranges too`);
}
