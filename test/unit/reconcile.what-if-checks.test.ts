/**
 * The pure half of the lockout guard and What If (issue 17): which checks a plan carries (sample of
 * blocked addresses, never-block addresses, the simulated sign-in), the enforcement a plan reports,
 * the lockout test on users, and the report-only staging of an enable.
 */
import { describe, expect, it } from 'vitest';
import { locksEveryoneOut } from '../../src/reconcile/lockout-guard.ts';
import { planReconcile } from '../../src/reconcile/plan.ts';
import { buildPolicyBody } from '../../src/reconcile/policy-body.ts';
import { stageReportOnly } from '../../src/reconcile/what-if-guard.ts';
import { sampleAddresses, signInShape, whatIfChecks } from '../../src/reconcile/what-if-checks.ts';
import { desired, livePolicy, liveLocation, makeTarget, planInput } from '../fixtures/reconcile/plan-fixtures.ts';

const E = 'e0000000-0000-4000-8000-000000000001';
const C = 'c0000000-0000-4000-8000-000000000002';

describe('What If checks', () => {
  it('samples the first address of ranges spread evenly, deterministically, all of them when fewer', () => {
    const ranges = Array.from({ length: 10 }, (_, i) => `198.51.${i}.0/24`);
    expect(sampleAddresses(ranges, 5)).toEqual(['198.51.0.0', '198.51.2.0', '198.51.4.0', '198.51.6.0', '198.51.8.0']);
    expect(sampleAddresses(ranges.slice(0, 2), 5)).toEqual(['198.51.0.0', '198.51.1.0']);
    expect(sampleAddresses(['2001:db8:1::/48'], 5)).toEqual(['2001:db8:1::']);
  });

  it('asks nothing without emergency accounts or canaries; otherwise E×S + C×S + C×N checks in that order', () => {
    const ranges = ['198.51.100.0/24', '203.0.113.8/29'];
    expect(whatIfChecks(makeTarget({ safety: { neverBlock: ['192.0.2.0/24'] } }), ranges)).toEqual([]);
    const t = makeTarget({ safety: { emergencyAccounts: [E], canaryUsers: [C], neverBlock: ['192.0.2.0/24', '192.0.2.7'], whatIfSampleSize: 2 } });
    expect(whatIfChecks(t, ranges).map((c) => `${c.check} ${c.userId.slice(0, 1)} ${c.ipAddress} ${String(c.expectApplies)}`)).toEqual([
      'emergency e 198.51.100.0 false',
      'emergency e 203.0.113.8 false',
      'canary c 198.51.100.0 true',
      'canary c 203.0.113.8 true',
      'neverBlock c 192.0.2.0 false',
      'neverBlock c 192.0.2.7 false',
    ]);
    // Without canaries the never-block addresses are not asked (an emergency account is checked from blocked ones).
    expect(whatIfChecks(makeTarget({ safety: { emergencyAccounts: [E], neverBlock: ['192.0.2.0/24'], whatIfSampleSize: 1 } }), ranges)).toHaveLength(1);
  });

  it('simulates the sign-in the policy targets', () => {
    expect(signInShape(makeTarget().policy)).toEqual({ applicationId: '797f4846-ba00-4fd7-ba43-dac1f8f63013', clientAppType: 'browser', devicePlatform: 'windows' });
    const office = makeTarget({ policy: { applications: { include: ['Office365'] }, clientAppTypes: ['exchangeActiveSync'], platforms: { include: ['iOS'] }, signInRiskLevels: ['high'] } }).policy;
    expect(signInShape(office)).toEqual({ applicationId: '00000002-0000-0ff1-ce00-000000000000', clientAppType: 'exchangeActiveSync', devicePlatform: 'iOS', signInRiskLevel: 'high' });
    const app = makeTarget({ policy: { applications: { includeAppIds: [C] }, platforms: { include: ['all'], exclude: ['windows'] } } }).policy;
    expect(signInShape(app)).toMatchObject({ applicationId: C, devicePlatform: 'macOS' });
  });
});

describe('lockout test on users', () => {
  it('All users with no user or group excluded by id locks everyone out; keywords and roles protect no one', () => {
    expect(locksEveryoneOut({ includeUsers: ['all'] })).toBe(true);
    expect(locksEveryoneOut({ includeUsers: ['All'], excludeUsers: ['GuestsOrExternalUsers'], excludeRoles: [E] })).toBe(true);
    expect(locksEveryoneOut({ includeUsers: ['All'], excludeUsers: [E] })).toBe(false);
    expect(locksEveryoneOut({ includeUsers: ['All'], excludeGroups: [E] })).toBe(false);
    expect(locksEveryoneOut({ includeUsers: ['None'] })).toBe(false);
    expect(locksEveryoneOut(null)).toBe(false);
  });
});

describe('plan: enforcement, warning and staging', () => {
  const enabled = { policy: { state: 'enabled', users: { include: ['All'], exclude: [E] } }, safety: { emergencyAccounts: [E] } };

  it('creating an enabled policy enables; an unchanged enabled one is enforced; report-only is none', () => {
    const target = makeTarget(enabled);
    const create = planReconcile(planInput({ target, desired: desired(['198.51.100.0/24']) }));
    expect(create.policy.enforcement).toBe('enables');
    expect(create.whatIf?.checks).toHaveLength(1);
    const loc = liveLocation('TQ Block', ['198.51.100.0/24'], { id: 'loc-a' });
    const live = livePolicy(buildPolicyBody(target.policy, ['loc-a'], undefined));
    const same = planReconcile(planInput({ target, desired: desired(['198.51.100.0/24']), owned: new Set(['198.51.100.0/24']), live: { locations: [loc], policies: [live] } }));
    expect([same.steps.length, same.policy.enforcement]).toEqual([0, 'enforced']);
    expect(planReconcile(planInput({ target: makeTarget({ safety: { emergencyAccounts: [E] } }), desired: desired(['198.51.100.0/24']) })).whatIf).toBeUndefined();
  });

  it('report-only → enabled is warned about and staged: the state-only PATCH is dropped (the guard enables after What If)', () => {
    const target = makeTarget(enabled);
    const loc = liveLocation('TQ Block', ['198.51.100.0/24'], { id: 'loc-a' });
    const live = livePolicy(buildPolicyBody(target.policy, ['loc-a'], undefined), { state: 'enabledForReportingButNotEnforced' });
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.0/24']), owned: new Set(['198.51.100.0/24']), live: { locations: [loc], policies: [live] } }));
    expect(plan.policy.enforcement).toBe('enables');
    expect(plan.warnings).toContain('policy "TQ Policy" moves from report-only (enabledForReportingButNotEnforced) to enabled: sign-ins from the blocked ranges will be refused from this run on');
    expect(plan.steps.map((s) => s.kind)).toEqual(['updatePolicy']);
    expect(stageReportOnly(plan).steps).toEqual([]);
    const created = planReconcile(planInput({ target, desired: desired(['198.51.100.0/24']) }));
    const staged = stageReportOnly(created);
    expect(staged.steps.map((s) => (s.kind === 'createPolicy' ? s.body.state : s.kind))).toEqual(['createLocation', 'enabledForReportingButNotEnforced']);
    expect(created.steps.find((s) => s.kind === 'createPolicy')).toMatchObject({ body: { state: 'enabled' } });
  });
});
