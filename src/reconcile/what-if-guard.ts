/**
 * What If before enforcing (docs/INCIDENT-RESPONSE.md): apply a plan, asking Graph's Conditional
 * Access evaluation (`POST /identity/conditionalAccess/evaluate`) the plan's checks
 * (what-if-checks.ts) about the target's policy. Only when the plan carries checks
 * (`safety.emergencyAccounts` / `canaryUsers` configured and the policy enabled after the run);
 * otherwise this is applyPlan and not one request more.
 *
 * - `enables` (the run creates the policy enabled or moves it to enabled): the plan is applied with
 *   the policy in report-only (What If evaluates report-only policies; a step whose only change was
 *   the state is dropped), the checks are evaluated, and only when every answer is as required is
 *   the policy PATCHed to `enabled` (one write, under the held lock). Any surprise throws
 *   SafetyWhatIfError (ERR_SAFETY_WHATIF) listing each evaluation: the policy stays report-only.
 * - `enforced` (enabled before and after): the plan is applied as is, then evaluated; a surprise
 *   disables nothing but raises an alert (`raiseWhatIfAlert`: an error log line `what-if alert`, the
 *   counter tq_entra_safety_alerts_total, and the `onAlert` hook — the one call site for notifications).
 *
 * Replication: Graph evaluates replicated state, which can lag the writes just made by seconds. A
 * surprising answer is asked again, up to `confirmations` answers in all (the consistency policy's
 * gaps: pollMs doubling to maxPollMs); it counts only when every answer is surprising. A policy absent
 * from the evaluation counts as a surprise for every check (never as "does not apply").
 * Requests: one per check (plus re-asks for surprises), paced like every Graph call, counted as reads.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Logger } from 'winston';
import type { TargetConfig } from '../config/schema.ts';
import { consistencyPolicy } from '../graph/consistency.ts';
import type { GraphClient, PolicyBody } from '../graph/graph-types.ts';
import { recordSafetyAlert } from '../observability/metrics-store.ts';
import { applyPlan, type ApplyDeps, type ApplyResult } from './apply.ts';
import { SafetyWhatIfError, describeSurprise, type WhatIfSurprise } from './errors/safety-what-if-error.ts';
import type { Plan, PlanStep, WhatIfCheck, WhatIfSignInShape } from './plan-types.ts';
import { resolvePolicyBody } from './policy-body.ts';

/** One answered check. */
export interface WhatIfEvaluation extends WhatIfCheck {
  /** undefined: the policy was not in Graph's answer. */
  policyApplies: boolean | undefined;
  analysisReasons: string[];
}

export interface WhatIfReport {
  policyId: string;
  enforcement: 'enables' | 'enforced';
  /** passed: every answer as required; refused: the enable was refused; alerted: an enforced policy surprised. */
  outcome: 'passed' | 'refused' | 'alerted';
  evaluations: WhatIfEvaluation[];
  surprises: WhatIfSurprise[];
  /** Evaluation requests made (re-asks included). */
  requests: number;
}

/** What a notification needs of a What If alert on an enforced policy. */
export interface WhatIfAlert {
  target: string;
  policy: string;
  policyId: string;
  surprises: WhatIfSurprise[];
}

export interface WhatIfDeps extends ApplyDeps {
  target: TargetConfig;
  /** Redis key prefix of the metrics (config `redis.prefix`). */
  prefix: string;
  /** Called once per alert on an enforced policy (notifications hook); its failure is logged, never thrown. */
  onAlert?: (alert: WhatIfAlert) => Promise<void>;
}

const REPORT_ONLY = 'enabledForReportingButNotEnforced';

async function ask(graph: GraphClient, policyId: string, signIn: WhatIfSignInShape, check: WhatIfCheck): Promise<WhatIfEvaluation> {
  const results = await graph.evaluateWhatIf({ ...signIn, userId: check.userId, ipAddress: check.ipAddress });
  const mine = results.find((r) => r.id.toLowerCase() === policyId.toLowerCase());
  return { ...check, policyApplies: mine?.policyApplies, analysisReasons: mine ? mine.analysisReasons : ['policyNotInEvaluation'] };
}

const surprising = (e: WhatIfEvaluation): boolean => e.policyApplies !== e.expectApplies;

/** Every check, each surprising answer asked again (see the header); in check order. */
export async function evaluateChecks(
  graph: GraphClient,
  policyId: string,
  whatIf: NonNullable<Plan['whatIf']>,
  deps: Pick<ApplyDeps, 'consistency' | 'sleep'>,
): Promise<Pick<WhatIfReport, 'evaluations' | 'surprises' | 'requests'>> {
  const policy = consistencyPolicy(deps.consistency);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const evaluations: WhatIfEvaluation[] = [];
  let requests = 0;
  for (const check of whatIf.checks) {
    let answer = await ask(graph, policyId, whatIf.signIn, check);
    requests += 1;
    for (let n = 1, gap = policy.pollMs; n < policy.confirmations && surprising(answer); n += 1, gap = Math.min(gap * 2, policy.maxPollMs)) {
      await sleep(gap);
      answer = await ask(graph, policyId, whatIf.signIn, check);
      requests += 1;
    }
    evaluations.push(answer);
  }
  const surprises = evaluations.filter(surprising).map(({ check, userId, ipAddress, policyApplies, analysisReasons }) => ({ check, userId, ipAddress, policyApplies, analysisReasons }));
  return { evaluations, surprises, requests };
}

const isPolicyWrite = (s: PlanStep): s is Extract<PlanStep, { kind: 'createPolicy' | 'updatePolicy' | 'removeLocationFromPolicy' }> =>
  s.kind === 'createPolicy' || s.kind === 'updatePolicy' || s.kind === 'removeLocationFromPolicy';

/** The plan with its policy written report-only; a rewrite whose only change was the state is dropped. */
export function stageReportOnly(plan: Plan): Plan {
  const steps = plan.steps.flatMap((s): PlanStep[] => {
    if (!isPolicyWrite(s)) return [s];
    const body = { ...s.body, state: REPORT_ONLY } as const;
    if (s.kind === 'createPolicy') return [{ ...s, body }];
    const changes = s.changes.filter((c) => c.field !== 'state');
    return changes.length === 0 ? [] : [{ ...s, body, changes }];
  });
  return { ...plan, steps, summary: { ...plan.summary, writes: steps.length + 1 } };
}

/** The PATCH that enables the policy once What If passed: the planned body, resolved, state enabled. */
async function enable(plan: Plan, applied: ApplyResult, policyId: string, deps: WhatIfDeps): Promise<void> {
  const step = plan.steps.find(isPolicyWrite);
  if (!step) throw new Error(`what-if: plan for "${plan.target}" enables a policy without a policy step`);
  const body: PolicyBody = { ...resolvePolicyBody(step.body, new Map(Object.entries(applied.created).map(([k, v]) => [Number(k), v]))), state: 'enabled' };
  await deps.lock.assertHeld();
  await deps.graph.updatePolicy(policyId, body);
  await deps.lock.extend();
  applied.graphWrites += 1;
  applied.steps.push({ kind: 'updatePolicy', displayName: step.displayName, id: policyId, outcome: 'done' });
}

/** The one call site of a What If alert: log line, metric, notification hook (never throws). */
export async function raiseWhatIfAlert(alert: WhatIfAlert, deps: { redis: RedisClient; prefix: string; log: Logger; onAlert?: (a: WhatIfAlert) => Promise<void> }): Promise<void> {
  deps.log.error('what-if alert: the enforced policy does not behave as required (nothing was disabled)', {
    target: alert.target,
    policy: alert.policy,
    policyId: alert.policyId,
    surprises: alert.surprises.map(describeSurprise),
  });
  const byCheck = new Map<string, number>();
  for (const s of alert.surprises) byCheck.set(s.check, (byCheck.get(s.check) ?? 0) + 1);
  for (const [check, count] of byCheck) {
    await recordSafetyAlert(deps.redis, deps.prefix, { target: alert.target, check, count }).catch((e: unknown) => deps.log.warn('could not record the safety alert metric', { error: (e as Error).message }));
  }
  await deps.onAlert?.(alert).catch((e: unknown) => deps.log.warn('the What If alert hook failed', { error: (e as Error).message }));
}

/** What applyWithWhatIf did: `appliedPlan` is the plan as written (report-only while an enable is refused). */
export interface WhatIfApplied {
  applied: ApplyResult;
  whatIf: WhatIfReport | undefined;
  appliedPlan: Plan;
  /** The enable was refused (ERR_SAFETY_WHATIF): the caller records what was applied, then throws it. */
  refused?: SafetyWhatIfError;
}

/** applyPlan with the What If guard (see the header). `whatIf` is undefined when the plan has no checks; a refusal is returned, not thrown. */
export async function applyWithWhatIf(plan: Plan, deps: WhatIfDeps, log: Logger): Promise<WhatIfApplied> {
  const enforcement = plan.policy.enforcement;
  if (!plan.whatIf || enforcement === 'none' || plan.refusals.length > 0) return { applied: await applyPlan(plan, deps), whatIf: undefined, appliedPlan: plan };
  const appliedPlan = enforcement === 'enables' ? stageReportOnly(plan) : plan;
  const applied = await applyPlan(appliedPlan, deps);
  const policyId = applied.policyId;
  if (policyId === undefined) return { applied, whatIf: undefined, appliedPlan };
  const answers = await evaluateChecks(deps.graph, policyId, plan.whatIf, deps);
  const failed = answers.surprises.length > 0;
  const report: WhatIfReport = { policyId, enforcement, outcome: failed ? (enforcement === 'enables' ? 'refused' : 'alerted') : 'passed', ...answers };
  log.info('what-if evaluated', { target: plan.target, policyId, enforcement, outcome: report.outcome, checks: answers.evaluations.length, requests: answers.requests });
  const name = deps.target.policy.name;
  if (enforcement === 'enables') {
    if (failed) return { applied, whatIf: report, appliedPlan, refused: new SafetyWhatIfError(plan.target, name, policyId, answers.surprises) };
    await enable(plan, applied, policyId, deps);
    return { applied, whatIf: report, appliedPlan: plan };
  }
  if (failed) {
    await raiseWhatIfAlert({ target: plan.target, policy: name, policyId, surprises: answers.surprises }, { redis: deps.redis, prefix: deps.prefix, log, ...(deps.onAlert ? { onAlert: deps.onAlert } : {}) });
  }
  return { applied, whatIf: report, appliedPlan };
}
