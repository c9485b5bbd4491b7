/**
 * What If before enforcing and the lockout guard, through reconcile against the Graph emulator over
 * HTTPS (real credential, real Redis): an enable is written report-only, evaluated, and enabled only
 * when every answer is as required (emergency account excluded, canary blocked, never-block addresses
 * not); an emergency account the policy would block refuses the enable (ERR_SAFETY_WHATIF, the policy
 * left report-only, the evaluation shown); an enforced policy that starts to surprise is not disabled
 * but alerted (log, tq_entra_safety_alerts_total, the notification hook); the lockout guard refuses an
 * enable of a live policy for All users with no exclusion unless safety.allowNoExclusions; the plan
 * warns report-only → enabled; and without emergency accounts or canaries no evaluation is made.
 * A refused enable still records what was written: status (locations, policy report-only), the
 * policy id for the kill switch, and the history entry.
 */
import { describe, expect, it } from 'vitest';
import { renderServiceMetrics } from '../../src/dashboard/metrics-export.ts';
import { SafetyLockoutError } from '../../src/reconcile/errors/safety-lockout-error.ts';
import { SafetyWhatIfError } from '../../src/reconcile/errors/safety-what-if-error.ts';
import type { WhatIfAlert } from '../../src/reconcile/what-if-guard.ts';
import { readHistory } from '../../src/state/history-store.ts';
import { readPolicyIdHint } from '../../src/state/kill-switch-store.ts';
import { readTargetStatus } from '../../src/state/target-status-store.ts';
import { harness, hostRanges, POLICY, policiesIn, TARGET, writes } from '../fixtures/reconcile/emulator-target.ts';
import { useGraphEmulator } from '../helpers/graph-emulator-suite.ts';
import { parseExposition, sampleValue } from '../helpers/prom-parse.ts';

const suite = useGraphEmulator('reconcile-what-if', { unpacedEachTest: true });

const EMERGENCY = 'e0000000-0000-4000-8000-000000000001';
const CANARY = 'c0000000-0000-4000-8000-000000000002';
const OTHER = 'a0000000-0000-4000-8000-000000000003';
const GROUP = 'b0000000-0000-4000-8000-000000000004';

function seedDirectory(groups: Record<string, string[]> = {}): void {
  suite.emu.seed({ directory: { users: [EMERGENCY, CANARY, OTHER], groups } });
}

const evaluations = () => suite.emu.requests({ kind: 'graph' }).filter((e) => e.path.endsWith('/evaluate'));

function setUp(over: Record<string, unknown>) {
  const prefix = `${suite.r.prefix}:${Math.random().toString(36).slice(2, 8)}`;
  return { h: harness(suite.emu, suite.r.client, prefix, over), prefix };
}

const enabledFor = (users: Record<string, unknown>, safety: Record<string, unknown>) => ({ policy: { state: 'enabled', users }, safety });

describe('What If before enforcing', () => {
  it('refuses the enable when an emergency account would be blocked: the policy stays report-only, the evaluation is shown', async () => {
    seedDirectory();
    const { h } = setUp(enabledFor({ include: ['All'], exclude: [OTHER] }, { emergencyAccounts: [EMERGENCY], whatIfSampleSize: 3 }));
    const err = await h.reconcile({ desired: hostRanges(6) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetyWhatIfError);
    const e = err as SafetyWhatIfError;
    expect(e.code).toBe('ERR_SAFETY_WHATIF');
    expect(e.message).toContain(`emergency account ${EMERGENCY} from 11.0.0.1: policyApplies=true, reasons=notSet (must not apply)`);
    expect(e.message).toMatch(/left report-only/);
    expect((e.details['surprises'] as unknown[]).length).toBe(3);
    // Written report-only, never enabled; three sampled addresses, each surprise asked three times (replication).
    expect(policiesIn(suite.emu).map((p) => p.state)).toEqual(['enabledForReportingButNotEnforced']);
    expect(writes(suite.emu).filter((w) => w.method === 'PATCH' && w.path.includes('/policies/'))).toEqual([]);
    expect(evaluations()).toHaveLength(9);
    const body = evaluations()[0]?.body as Record<string, any>;
    expect(body['signInIdentity']).toEqual({ '@odata.type': '#microsoft.graph.userSignIn', userId: EMERGENCY });
    expect(body['signInContext']).toEqual({ '@odata.type': '#microsoft.graph.applicationContext', includeApplications: ['797f4846-ba00-4fd7-ba43-dac1f8f63013'] });
    expect(body['signInConditions']).toEqual({ ipAddress: '11.0.0.1', clientAppType: 'browser', devicePlatform: 'windows' });
  });

  it('a refused enable records what was written: status (locations, report-only policy), policy id, history', async () => {
    seedDirectory();
    const { h } = setUp(enabledFor({ include: ['All'], exclude: [OTHER] }, { emergencyAccounts: [EMERGENCY], whatIfSampleSize: 1 }));
    const err = await h.reconcile({ desired: hostRanges(3), history: { run: 'run-refused', kind: 'reconcile' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetyWhatIfError);
    const policyId = policiesIn(suite.emu)[0]?.id;
    const status = await readTargetStatus(suite.r.client, h.keys, TARGET);
    expect(status?.policy).toEqual({ displayName: POLICY, state: 'enabledForReportingButNotEnforced' });
    expect(status?.locations.flatMap((l) => l.ranges).sort()).toEqual(hostRanges(3).map((r) => r.cidr).sort());
    expect(await readPolicyIdHint(suite.r.client, h.keys, TARGET)).toBe(policyId);
    const history = await readHistory(suite.r.client, h.keys, TARGET);
    expect(history.map((e) => [e.run, e.total])).toEqual([['run-refused', 3]]);
  });

  it('enables once the emergency account is excluded and a canary is blocked (never-block addresses checked too)', async () => {
    seedDirectory();
    const safety = { emergencyAccounts: [EMERGENCY], canaryUsers: [CANARY], whatIfSampleSize: 2, neverBlock: ['198.51.100.0/24'] };
    const { h } = setUp(enabledFor({ include: ['All'], exclude: [EMERGENCY] }, safety));
    const res = await h.reconcile({ desired: hostRanges(6) });
    expect(res.whatIf).toMatchObject({ outcome: 'passed', enforcement: 'enables', surprises: [], requests: 5 });
    expect(res.whatIf?.evaluations.map((v) => [v.check, v.ipAddress, v.policyApplies])).toEqual([
      ['emergency', '11.0.0.1', false],
      ['emergency', '11.0.0.7', false],
      ['canary', '11.0.0.1', true],
      ['canary', '11.0.0.7', true],
      ['neverBlock', '198.51.100.0', false],
    ]);
    expect(res.whatIf?.evaluations[0]?.analysisReasons).toEqual(['users']);
    expect(policiesIn(suite.emu).map((p) => p.state)).toEqual(['enabled']);
    // Created report-only, enabled by one PATCH after the evaluations.
    const policyWrites = writes(suite.emu).filter((w) => w.path.includes('/policies'));
    expect(policyWrites.map((w) => [w.method, (w.body as { state: string }).state])).toEqual([['POST', 'enabledForReportingButNotEnforced'], ['PATCH', 'enabled']]);
    expect(res.applied?.steps.map((s) => s.kind)).toEqual(['createLocation', 'createPolicy', 'updatePolicy']);
    // Evaluations are reads: the next run with nothing to change writes nothing.
    suite.emu.clearRequests();
    const again = await h.reconcile({ desired: hostRanges(6) });
    expect(again.applied?.graphWrites).toBe(0);
    expect(again.whatIf).toMatchObject({ enforcement: 'enforced', outcome: 'passed' });
    expect(writes(suite.emu).filter((w) => !w.path.endsWith('/evaluate'))).toEqual([]);
  });

  it('refuses the enable when a canary is not blocked (excluded through a group)', async () => {
    seedDirectory({ [GROUP]: [CANARY] });
    const { h } = setUp(enabledFor({ include: ['All'], exclude: [EMERGENCY], excludeGroups: [GROUP] }, { canaryUsers: [CANARY], whatIfSampleSize: 1 }));
    const err = (await h.reconcile({ desired: hostRanges(3) }).catch((e: unknown) => e)) as SafetyWhatIfError;
    expect(err.code).toBe('ERR_SAFETY_WHATIF');
    expect(err.message).toContain(`canary ${CANARY} from 11.0.0.1: policyApplies=false, reasons=users (must apply)`);
    expect(policiesIn(suite.emu)[0]?.state).toBe('enabledForReportingButNotEnforced');
  });

  it('an enforced policy that starts to surprise is not disabled: alert log, metric and hook', async () => {
    seedDirectory();
    const { h, prefix } = setUp(enabledFor({ include: ['All'], exclude: [EMERGENCY], excludeGroups: [GROUP] }, { emergencyAccounts: [EMERGENCY], canaryUsers: [CANARY], whatIfSampleSize: 1 }));
    expect((await h.reconcile({ desired: hostRanges(3) })).whatIf?.outcome).toBe('passed');
    // Someone puts the canary into the excluded group: the next reconcile (nothing to write) alerts.
    seedDirectory({ [GROUP]: [CANARY] });
    const alerts: WhatIfAlert[] = [];
    const res = await h.reconcile({ desired: hostRanges(3), onSafetyAlert: async (a) => void alerts.push(a) });
    expect(res.whatIf).toMatchObject({ enforcement: 'enforced', outcome: 'alerted' });
    expect(alerts.map((a) => [a.target, a.policy, a.surprises.map((s) => s.check)])).toEqual([['emulated', POLICY, ['canary']]]);
    expect(policiesIn(suite.emu)[0]?.state).toBe('enabled');
    const m = parseExposition(await renderServiceMetrics(suite.r.client, prefix, []));
    expect(sampleValue(m, 'tq_entra_safety_alerts_total', { target: 'emulated', check: 'canary' })).toBe(1);
  });

  it('makes no evaluation when neither emergency accounts nor canaries are configured', async () => {
    const { h } = setUp({ policy: { state: 'enabled', users: { include: ['All'], exclude: [EMERGENCY] } } });
    const res = await h.reconcile({ desired: hostRanges(3) });
    expect(res.whatIf).toBeUndefined();
    expect(res.plan.whatIf).toBeUndefined();
    expect(evaluations()).toEqual([]);
    expect(policiesIn(suite.emu)[0]?.state).toBe('enabled');
  });
});

describe('lockout guard and the report-only → enabled warning', () => {
  /** A live report-only policy of the target's name for All users, no exclusion (an administrator's edit; users not managed by the configuration). */
  function seedLivePolicy(): void {
    suite.emu.seed({
      policies: [
        {
          displayName: POLICY,
          state: 'enabledForReportingButNotEnforced',
          conditions: { clientAppTypes: ['all'], applications: { includeApplications: ['All'] }, users: { includeUsers: ['All'] }, locations: { includeLocations: ['All'] } },
          grantControls: { operator: 'OR', builtInControls: ['block'] },
        },
      ],
    });
  }

  it('refuses to enable a live policy for All users with no exclusion, writing nothing; allowNoExclusions overrides', async () => {
    seedLivePolicy();
    const { h } = setUp({ policy: { state: 'enabled' } });
    const plan = await h.reconcile({ desired: hostRanges(2), dryRun: true });
    expect(plan.plan.policy.enforcement).toBe('enables');
    expect(plan.plan.refusals.map((e) => e.code)).toEqual(['ERR_SAFETY_LOCKOUT']);
    expect(plan.plan.warnings.join('\n')).toMatch(/moves from report-only \(enabledForReportingButNotEnforced\) to enabled/);
    const err = await h.reconcile({ desired: hostRanges(2) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetyLockoutError);
    expect((err as Error).message).toMatch(/safety\.allowNoExclusions: true/);
    expect(writes(suite.emu)).toEqual([]);

    const { h: allowed } = setUp({ policy: { state: 'enabled' }, safety: { allowNoExclusions: true } });
    const res = await allowed.reconcile({ desired: hostRanges(2) });
    expect(res.plan.refusals).toEqual([]);
    expect(policiesIn(suite.emu)[0]?.state).toBe('enabled');
    // Once enforced, the guard warns on every run instead of refusing (the run does not enable it).
    const { h: later } = setUp({ policy: { state: 'enabled' } });
    const next = await later.reconcile({ desired: hostRanges(2), dryRun: true });
    expect(next.plan.refusals).toEqual([]);
    expect(next.plan.warnings.join('\n')).toMatch(/is enforced for All users with no user or group excluded/);
  });
});
