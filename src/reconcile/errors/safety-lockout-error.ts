/**
 * Lockout guard: the run would create a policy in state `enabled`, or move one to `enabled`, whose
 * users include `All` with no user or group excluded by object id, so every account (emergency access
 * accounts too) would be blocked from the listed ranges (Microsoft: "Exclude emergency access accounts
 * from all Conditional Access policies"). Nothing is written. Override: `safety.allowNoExclusions: true`.
 */
import { SafetyError } from './safety-error.ts';

export class SafetyLockoutError extends SafetyError {
  /** `from`: where the users come from (the configuration's policy.users, or the live policy when the configuration does not manage users). */
  constructor(target: string, policy: string, from: 'configuration' | 'live policy') {
    const fix =
      from === 'configuration'
        ? 'add the emergency access accounts to policy.users.exclude (or their group to policy.users.excludeGroups)'
        : 'exclude the emergency access accounts on the live policy, or manage users with policy.users (exclude / excludeGroups)';
    super(
      'ERR_SAFETY_LOCKOUT',
      `refusing to reconcile target "${target}": policy "${policy}" would be enforced (state enabled) for All users with no user or group ` +
        `excluded (users from the ${from}), locking out emergency access accounts too; nothing was written. ` +
        `Fix: ${fix}, or set safety.allowNoExclusions: true on the target`,
      { details: { target, policy, usersFrom: from } },
    );
  }
}
