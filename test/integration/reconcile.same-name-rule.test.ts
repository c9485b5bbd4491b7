/**
 * One name lookup rule (src/graph/same-name-winner.ts) for the two lookups that guard one POST: the
 * plan's pick among same-named live objects (which location is the shard, which policy is the
 * target's) and the Graph client's lookup after an ambiguous create. Against the Graph emulator over
 * HTTPS: both pick the same object among the same candidates (before, the lookup took the newest and
 * the plan the oldest), and an object recorded as this target's wins over an administrator's older
 * look-alike.
 */
import { describe, expect, it } from 'vitest';
import { toPolicyJson } from '../../src/graph/conditional-access-policies.ts';
import { planReconcile } from '../../src/reconcile/plan.ts';
import { NO_OWNERS } from '../../src/reconcile/object-owners.ts';
import { readLiveState } from '../../src/reconcile/read-live-state.ts';
import { blockPolicy, emulatorClient } from '../fixtures/graph/graph-target.ts';
import { desired, liveLocation, livePolicy, makeTarget, planInput } from '../fixtures/reconcile/plan-fixtures.ts';
import { useGraphEmulator } from '../helpers/graph-emulator-suite.ts';

const suite = useGraphEmulator('same-name-rule', { unpacedEachTest: true });

const OLDER = '2023-01-01T00:00:00Z';
const YOUNGER = '2024-06-01T00:00:00Z';
const range = (cidr: string) => [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: cidr }];
const client = () => emulatorClient(suite.emu, suite.r.client, `${suite.r.prefix}:${Math.random()}`, { createLookup: { reads: 2, spanMs: 100 } });
// The plan fixtures' target: locations "TQ Block", policy "TQ Policy".
const target = makeTarget();

describe('the lookup after an ambiguous create and the plan pick the same object', () => {
  it('named locations: the oldest of two look-alikes that appeared since the listing, in both lookups', async () => {
    // Listed younger first, so neither lookup can win by listing order.
    const [young, old] = suite.emu.seed({
      namedLocations: [
        { displayName: 'TQ Block', ipRanges: range('198.51.100.9/32'), createdDateTime: YOUNGER },
        { displayName: 'TQ Block', ipRanges: range('198.51.100.1/32'), createdDateTime: OLDER },
      ],
    }).namedLocations;
    suite.emu.addFaults([{ method: 'POST', status: 503 }]);
    const graph = client();
    const recovered = await graph.createNamedLocation({ displayName: 'TQ Block', ipRanges: ['198.51.100.1/32'], isTrusted: false });
    expect(recovered.id).toBe(old);

    const live = await readLiveState(graph);
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live }));
    expect(plan.locations.map((l) => l.id)).toEqual([recovered.id]);
    expect(plan.duplicates.map((d) => d.id)).toEqual([young]);
  });

  it('policies: the oldest of two look-alikes that appeared since the listing, in both lookups', async () => {
    const [loc] = suite.emu.seed({ namedLocations: [{ displayName: 'TQ Block', ipRanges: range('198.51.100.1/32') }] }).namedLocations;
    const json = toPolicyJson(blockPolicy(loc as string, {}, 'TQ Policy'));
    const [, old] = suite.emu.seed({ policies: [{ ...json, createdDateTime: YOUNGER }, { ...json, createdDateTime: OLDER }] }).policies;
    suite.emu.addFaults([{ method: 'POST', status: 503 }]);
    const graph = client();
    const recovered = await graph.createPolicy(blockPolicy(loc as string, {}, 'TQ Policy'));
    expect(recovered.id).toBe(old);

    const live = await readLiveState(graph);
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live }));
    expect(plan.policy.id).toBe(recovered.id);
  });
});

describe('an object recorded as this target’s wins over an older look-alike', () => {
  const mine = (ids: string[]) => ({ ...NO_OWNERS, self: new Set(ids) });

  it('the shard is the recorded location; the administrator’s older look-alike is a duplicate left alone', () => {
    const lookAlike = liveLocation('TQ Block', ['192.0.2.7/32'], { id: 'admin', createdDateTime: OLDER });
    const ours = liveLocation('TQ Block', ['198.51.100.1/32'], { id: 'ours', createdDateTime: YOUNGER });
    const live = { locations: [lookAlike, ours], policies: [] };
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live, owned: new Set(['198.51.100.1/32']), objectOwners: mine(['ours']) }));
    expect(plan.locations.map((l) => l.id)).toEqual(['ours']);
    expect(plan.duplicates).toEqual([{ id: 'admin', displayName: 'TQ Block', action: 'left' }]);
    expect(plan.ownership.claim).toContain('ours');
    expect(plan.ownership.claim).not.toContain('admin');
    // Without a record the oldest wins, as before.
    expect(planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live })).locations.map((l) => l.id)).toEqual(['admin']);
  });

  it('the policy is the recorded one, not an older policy of the same name', () => {
    const shard = liveLocation('TQ Block', ['198.51.100.1/32'], { id: 'L1' });
    const first = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live: { locations: [shard], policies: [] } }));
    const step = first.steps.find((s) => s.kind === 'createPolicy');
    if (step?.kind !== 'createPolicy') throw new Error('expected a createPolicy step');
    const body = { ...step.body, conditions: { ...step.body.conditions, locations: { includeLocations: ['L1'], excludeLocations: [] } } };
    const lookAlike = livePolicy(body, { id: 'admin-pol', createdDateTime: OLDER });
    const ours = livePolicy(body, { id: 'our-pol', createdDateTime: YOUNGER });
    const live = { locations: [shard], policies: [lookAlike, ours] };
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live, objectOwners: mine(['l1', 'our-pol']) }));
    expect(plan.policy.id).toBe('our-pol');
    expect(plan.warnings.join('\n')).toMatch(/managing the one recorded as this target's \(our-pol\)/);
  });
});
