/**
 * "Very broad" ranges (issue 13, finding 3): every accepted range broader than
 * safety.warnBroaderThanV4/V6 (defaults /12, /29) is named in a warning of the plan, which `plan`
 * prints and the reconcile run records; none is refused for it.
 */
import { describe, expect, it } from 'vitest';
import { formatPlanText } from '../../src/reconcile/format-plan.ts';
import { planReconcile } from '../../src/reconcile/plan.ts';
import { desired, makeTarget, planInput } from '../fixtures/reconcile/plan-fixtures.ts';

describe('planReconcile: very broad ranges', () => {
  it('warns about each range broader than /12 (IPv4) or /29 (IPv6) by default, and refuses none', () => {
    const plan = planReconcile(
      planInput({ target: makeTarget({ namedLocation: { maxRangesPerLocation: 10 } }), desired: desired(['11.0.0.0/11', '23.0.0.0/12', '2a00::/24', '2a01:100::/29', '2a02:100::/28']) }),
    );
    expect(plan.broadRanges).toEqual(['11.0.0.0/11', '2a00::/24', '2a02:100::/28']);
    expect(plan.warnings).toContain('very broad range 11.0.0.0/11 is blocked (broader than /12, safety.warnBroaderThanV4): check the indicator is meant');
    expect(plan.warnings).toContain('very broad range 2a00::/24 is blocked (broader than /29, safety.warnBroaderThanV6): check the indicator is meant');
    expect(plan.warnings.filter((w) => w.startsWith('very broad range'))).toHaveLength(3);
    expect(plan.refusals).toEqual([]);
    const text = formatPlanText(plan);
    expect(text).toContain('Warning: very broad range 11.0.0.0/11 is blocked');
    expect(text).toContain('Warning: very broad range 2a02:100::/28 is blocked');
  });

  it('follows the configured thresholds', () => {
    const target = makeTarget({ namedLocation: { maxRangesPerLocation: 10 }, safety: { warnBroaderThanV4: 24, warnBroaderThanV6: 64 } });
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.0/24', '203.0.112.0/23', '2a00:1::/64', '2a00:2::/48']) }));
    expect(plan.broadRanges).toEqual(['203.0.112.0/23', '2a00:2::/48']);
  });

  it('names at most 20 in warnings, all of them in broadRanges', () => {
    const many = Array.from({ length: 25 }, (_, i) => `${20 + i * 2}.0.0.0/10`);
    const target = makeTarget({ namedLocation: { maxRangesPerLocation: 30 } });
    const plan = planReconcile(planInput({ target, desired: desired(many) }));
    expect(plan.broadRanges).toHaveLength(25);
    expect(plan.warnings.filter((w) => w.startsWith('very broad range'))).toHaveLength(20);
    expect(plan.warnings).toContain('… and 5 more very broad range(s) (plan --json lists them all)');
  });
});
