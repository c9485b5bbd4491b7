/**
 * The plan under an engaged kill switch (src/reconcile/plan-policy.ts): the policy's desired state is
 * the switch's, in every policy step (create, update, re-create), while the named locations follow
 * the desired ranges as usual; without the switch the configured state comes back.
 */
import { describe, expect, it } from 'vitest';
import { planReconcile } from '../../src/reconcile/plan.ts';
import { formatPlanText } from '../../src/reconcile/format-plan.ts';
import type { PlanInput } from '../../src/reconcile/plan-types.ts';
import type { KillSwitch } from '../../src/state/kill-switch-store.ts';
import { desired, makeTarget, planInput, simulateApply } from '../fixtures/reconcile/plan-fixtures.ts';

const hosts = (from: number, n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${from + i}/32`);
const KS: KillSwitch = { state: 'disabled', by: 'alice', at: '2026-11-30T03:00:00.000Z', reason: 'partner range blocked' };

function converge(input: PlanInput) {
  const plan = planReconcile(input);
  const owned = new Set(input.owned);
  const live = simulateApply(plan, { locations: [...input.live.locations], policies: [...input.live.policies] }, owned);
  return { live, owned, plan };
}

describe('planReconcile with the kill switch engaged', () => {
  it('creates the policy in the switch state, not the configured one', () => {
    const target = makeTarget({ policy: { state: 'enabled' } });
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 2)), killSwitch: KS }));
    const create = plan.steps.find((s) => s.kind === 'createPolicy');
    expect(create?.kind === 'createPolicy' && create.body.state).toBe('disabled');
    expect(plan.policy.killSwitch).toEqual(KS);
    expect(formatPlanText(plan)).toContain('disabled by kill switch (alice, 2026-11-30T03:00:00.000Z, "partner range blocked")');
  });

  it('updates the locations but never re-enables a disabled policy; released, the configured state returns', () => {
    const target = makeTarget({ policy: { state: 'enabled' } });
    const first = converge(planInput({ target, desired: desired(hosts(1, 2)) }));
    // The kill switch PATCHed the live policy to disabled.
    const policies = first.live.policies.map((p) => ({ ...p, state: 'disabled' as const }));
    const held = planReconcile(planInput({ target, desired: desired(hosts(1, 3)), live: { ...first.live, policies }, owned: first.owned, killSwitch: KS }));
    expect(held.steps.map((s) => s.kind)).toEqual(['updateLocation']);
    expect(held.policy.action).toBe('unchanged');
    const released = planReconcile(planInput({ target, desired: desired(hosts(1, 2)), live: { ...first.live, policies }, owned: first.owned }));
    expect(released.policy.changes).toEqual([{ field: 'state', from: 'disabled', to: 'enabled' }]);
    expect(formatPlanText(released)).not.toContain('kill switch');
  });

  it('report-only switch: an enforced policy is moved to report-only, also through a deleteExisting re-create', () => {
    const target = makeTarget({ policy: { state: 'enabled', deleteExisting: true } });
    const first = converge(planInput({ target, desired: desired(hosts(1, 2)) }));
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 2)), live: first.live, owned: first.owned, killSwitch: { ...KS, state: 'enabledForReportingButNotEnforced' } }));
    const create = plan.steps.find((s) => s.kind === 'createPolicy');
    expect(create?.kind === 'createPolicy' && create.body.state).toBe('enabledForReportingButNotEnforced');
    expect(formatPlanText(plan)).toContain('held report-only by kill switch (alice');
  });

  it('with What If configured, an engaged switch enforces nothing: no enable, no checks, no report-only → enabled warning', () => {
    const safety = { emergencyAccounts: ['11111111-1111-4111-8111-111111111111'], canaryUsers: ['22222222-2222-4222-8222-222222222222'] };
    const target = makeTarget({ policy: { state: 'enabled', users: { include: ['All'], exclude: [safety.emergencyAccounts[0] as string] } }, safety });
    const first = converge(planInput({ target, desired: desired(hosts(1, 2)) }));
    for (const state of ['disabled', 'enabledForReportingButNotEnforced'] as const) {
      const policies = first.live.policies.map((p) => ({ ...p, state }));
      const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 3)), live: { ...first.live, policies }, owned: first.owned, killSwitch: { ...KS, state } }));
      expect(plan.policy.enforcement, state).toBe('none');
      expect(plan.whatIf, state).toBeUndefined();
      expect(plan.steps.map((s) => s.kind), state).toEqual(['updateLocation']);
      expect(plan.warnings.join('\n'), state).not.toContain('moves from report-only');
    }
    // Released: the same live policy is enabled through the What If checks again.
    const policies = first.live.policies.map((p) => ({ ...p, state: 'disabled' as const }));
    const released = planReconcile(planInput({ target, desired: desired(hosts(1, 2)), live: { ...first.live, policies }, owned: first.owned }));
    expect(released.policy.enforcement).toBe('enables');
    expect(released.whatIf?.checks.length).toBeGreaterThan(0);
  });
});
