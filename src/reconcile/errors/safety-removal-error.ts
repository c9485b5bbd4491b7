/**
 * A run would remove more than `safety.maxRemovalFraction` of the ranges this service owns in the
 * target: usually a partial feed rather than a real clean-up. Nothing is written. Override with
 * `--force` (or raise the fraction).
 */
import { SafetyError } from './safety-error.ts';

export class SafetyRemovalError extends SafetyError {
  constructor(target: string, removed: number, owned: number, maxFraction: number) {
    const pct = (n: number) => `${Math.round(n * 1000) / 10}%`;
    super(
      'ERR_SAFETY_REMOVAL',
      `refusing to reconcile target "${target}": it would remove ${removed} of the ${owned} ranges this service owns ` +
        `(${pct(owned === 0 ? 0 : removed / owned)}, more than safety.maxRemovalFraction ${pct(maxFraction)}); ` +
        'nothing was written (run with --force to proceed)',
      { details: { target, removed, owned, maxRemovalFraction: maxFraction } },
    );
  }
}
