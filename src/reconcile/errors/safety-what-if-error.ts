/**
 * What If before enforcing: Graph's Conditional Access evaluation of the policy (report-only at that
 * moment) gave a surprising answer for a configured account, so the policy is not enabled: it stays
 * report-only (its locations and the report-only policy were written; the enable was not). The
 * message lists every surprising evaluation: user, address, policyApplies, reasons.
 */
import { SafetyError } from './safety-error.ts';

/** One evaluation that did not come out as required (what-if-checks.ts). */
export interface WhatIfSurprise {
  check: 'emergency' | 'neverBlock' | 'canary';
  userId: string;
  ipAddress: string;
  policyApplies: boolean | undefined;
  analysisReasons: string[];
}

/** One line per surprise, for messages and logs. */
export function describeSurprise(s: WhatIfSurprise): string {
  const want = s.check === 'canary' ? 'must apply' : 'must not apply';
  const who = s.check === 'emergency' ? 'emergency account' : 'canary';
  const got = s.policyApplies === undefined ? 'policy missing from the evaluation' : `policyApplies=${String(s.policyApplies)}`;
  return `${who} ${s.userId} from ${s.ipAddress}${s.check === 'neverBlock' ? ' (never-block address)' : ''}: ${got}, reasons=${s.analysisReasons.join(',') || '-'} (${want})`;
}

export class SafetyWhatIfError extends SafetyError {
  constructor(target: string, policy: string, policyId: string, surprises: readonly WhatIfSurprise[]) {
    super(
      'ERR_SAFETY_WHATIF',
      `refusing to enable policy "${policy}" (${policyId}) of target "${target}": What If evaluation found ${surprises.length} surprise(s); ` +
        `the policy was left report-only (enabledForReportingButNotEnforced). ${surprises.map(describeSurprise).join('; ')}`,
      { details: { target, policy, policyId, surprises: surprises.map((s) => ({ ...s })) } },
    );
  }
}
