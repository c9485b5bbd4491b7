/**
 * A named location or policy this target would take over is recorded as another target's (same
 * tenant): writing it would undo the other target's runs and theirs would undo ours. Nothing is
 * written. Not overridable when the other target is in this configuration (give the targets names
 * that cannot collide); `--force` takes the object over when the other target is no longer in it
 * (removed or renamed, or another deployment's).
 */
import { SafetyError } from './safety-error.ts';

export class SafetyOwnedByOtherTargetError extends SafetyError {
  constructor(target: string, object: { kind: 'named location' | 'policy'; displayName: string; id: string }, owner: string, ownerConfigured: boolean) {
    const fix = ownerConfigured
      ? `give the two targets names that cannot collide`
      : `if target "${owner}" was removed or renamed, run once with --force to take it over`;
    super(
      'ERR_SAFETY_OWNED_BY_OTHER_TARGET',
      `refusing to reconcile target "${target}": ${object.kind} "${object.displayName}" (${object.id}) is managed by target "${owner}" ` +
        `of the same tenant (nothing was written; ${fix})`,
      { details: { target, owner, kind: object.kind, displayName: object.displayName, id: object.id, ownerConfigured } },
    );
  }
}
