/**
 * The desired set of a target is empty while `safety.refuseEmpty` is on: most often a broken feed
 * (a collection emptied by mistake, a filter that matches nothing). Nothing is written.
 * Override with `--force` or `safety.refuseEmpty: false`.
 */
import { SafetyError } from './safety-error.ts';

export class SafetyEmptyError extends SafetyError {
  constructor(target: string) {
    super(
      'ERR_SAFETY_EMPTY',
      `refusing to reconcile target "${target}": the desired set is empty and safety.refuseEmpty is on ` +
        '(nothing was written; check the sources, or run with --force)',
      { details: { target } },
    );
  }
}
