/** Ownership between targets in the pure plan (issue 13, finding 2): classifyOwners and the refusal. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load-config.ts';
import { classifyOwners } from '../../src/reconcile/object-owners.ts';
import { planReconcile } from '../../src/reconcile/plan.ts';
import { desired, liveLocation, makeTarget, planInput, TENANT } from '../fixtures/reconcile/plan-fixtures.ts';

const CLIENT = '3c5e7a90-1b2d-4e6f-8a0b-2c4d6e8f0a1b';
const config = loadConfigText(
  stringify({
    targets: [
      { name: 't1', tenantId: TENANT, clientId: CLIENT, clientSecret: 's', namedLocation: { name: 'TQ Block' }, policy: { name: 'TQ Policy' } },
      { name: 'other', tenantId: 'contoso.onmicrosoft.com', clientId: CLIENT, clientSecret: 's', namedLocation: { name: 'TQ' }, policy: { name: 'Other' } },
    ],
  }),
  { env: {} },
);

describe('classifyOwners + planReconcile', () => {
  const shard = liveLocation('TQ Block', ['198.51.100.1/32'], { id: 'LOC-1' });
  const live = { locations: [shard], policies: [] };
  const target = makeTarget();

  it('an owner of this configuration whose names still match is active: refused even with force', () => {
    // "other" manages "TQ", "TQ (2)", …: "TQ Block" is not one of its names, so the record is stale
    expect(classifyOwners(config, config.targets[0]!, TENANT, live, new Map([['loc-1', 'other']])).stale.get('loc-1')).toBe('other');
    const owners = { active: new Map([['loc-1', 'other']]), unknown: new Map(), stale: new Map() };
    for (const force of [false, true]) {
      const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live, force, objectOwners: owners }));
      expect(plan.refusals.map((e) => [e.code, e.details['owner']])).toEqual([['ERR_SAFETY_OWNED_BY_OTHER_TARGET', 'other']]);
    }
  });

  it('classifies by the owner target: in the configuration and matching → active; absent → unknown; ours or gone → ignored', () => {
    const tq2 = liveLocation('TQ (2)', [], { id: 'loc-2' });
    const view = classifyOwners(config, config.targets[0]!, TENANT, { locations: [shard, tq2], policies: [] }, new Map([
      ['loc-2', 'other'],
      ['LOC-1', 'removed-target'],
      ['gone', 'other'],
      ['x', 't1'],
    ]));
    expect([...view.active]).toEqual([['loc-2', 'other']]);
    expect([...view.unknown]).toEqual([['loc-1', 'removed-target']]);
    expect(view.stale.size).toBe(0);
  });

  it('an unknown owner is refused without force, taken over (with a warning) with it; the plan claims every managed object', () => {
    const owners = { active: new Map(), unknown: new Map([['loc-1', 'gone-target']]), stale: new Map() };
    const refused = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live, objectOwners: owners }));
    expect(refused.refusals.map((e) => e.code)).toEqual(['ERR_SAFETY_OWNED_BY_OTHER_TARGET']);
    const forced = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live, force: true, objectOwners: owners }));
    expect(forced.refusals).toEqual([]);
    expect(forced.ownership).toEqual({ claim: ['LOC-1'], takeover: ['LOC-1'] });
    expect(forced.warnings.some((w) => w.includes('was recorded as target "gone-target"\'s'))).toBe(true);
  });
});
