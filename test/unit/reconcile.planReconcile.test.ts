import { describe, expect, it } from 'vitest';
import { planReconcile } from '../../src/reconcile/plan.ts';
import type { LiveLocation, Plan, PlanInput } from '../../src/reconcile/plan-types.ts';
import type { ConditionalAccessPolicy } from '../../src/graph/graph-types.ts';
import { desired, liveLocation, makeTarget, planInput, simulateApply, TENANT } from '../fixtures/reconcile/plan-fixtures.ts';

const kinds = (p: Plan) => p.steps.map((s) => s.kind);
const hosts = (from: number, n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${from + i}/32`);

/** Plan, apply in memory, and return the next state (converged target). */
function converge(input: PlanInput): { live: { locations: LiveLocation[]; policies: ConditionalAccessPolicy[] }; owned: Set<string>; plan: Plan } {
  const plan = planReconcile(input);
  expect(plan.refusals).toEqual([]);
  const owned = new Set(input.owned);
  const live = simulateApply(plan, { locations: [...input.live.locations], policies: [...input.live.policies] }, owned);
  return { live, owned, plan };
}

describe('planReconcile: named locations', () => {
  it('creates shards "<name>", "<name> (2)", … of at most maxRangesPerLocation, then the policy referencing them', () => {
    const target = makeTarget();
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 7)) }));
    expect(kinds(plan)).toEqual(['createLocation', 'createLocation', 'createLocation', 'createPolicy']);
    const creates = plan.steps.filter((s) => s.kind === 'createLocation');
    expect(creates.map((s) => s.displayName)).toEqual(['TQ Block', 'TQ Block (2)', 'TQ Block (3)']);
    expect(creates.map((s) => s.ranges.length)).toEqual([3, 3, 1]);
    expect(creates.flatMap((s) => s.ranges)).toEqual(hosts(1, 7));
    const policy = plan.steps.at(-1);
    expect(policy?.kind === 'createPolicy' && policy.body.conditions.locations.includeLocations).toEqual([
      { kind: 'shard', shard: 1 },
      { kind: 'shard', shard: 2 },
      { kind: 'shard', shard: 3 },
    ]);
    expect(plan.summary).toMatchObject({ mode: 'mirror', desired: 7, added: 7, removed: 0, writes: 4 });
    expect(plan.locations.map((l) => l.action)).toEqual(['create', 'create', 'create']);
  });

  it('makes zero writes when nothing changed', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 7)) }));
    const again = planReconcile(planInput({ target, desired: desired(hosts(1, 7)), live: first.live, owned: first.owned }));
    expect(again.steps).toEqual([]);
    expect(again.summary.writes).toBe(0);
    expect(again.locations.every((l) => l.action === 'unchanged')).toBe(true);
    expect(again.policy.action).toBe('unchanged');
  });

  it('adding one range rewrites exactly one location, where there is room', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 7)) }));
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 8)), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['updateLocation']);
    const step = plan.steps[0];
    expect(step?.kind === 'updateLocation' && step.displayName).toBe('TQ Block (3)');
    expect(step?.kind === 'updateLocation' && step.added).toEqual(['198.51.100.8/32']);
    expect(step?.kind === 'updateLocation' && step.ranges).toEqual(['198.51.100.7/32', '198.51.100.8/32']);
  });

  it('stable assignment: remaining ranges keep their shard and a new range fills the shard that changes anyway', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 9)) })); // 3 full shards
    const next = [...hosts(1, 9).filter((r) => r !== '198.51.100.5/32'), '198.51.100.50/32'];
    const plan = planReconcile(planInput({ target, desired: desired(next), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['updateLocation']);
    const s = plan.steps[0];
    expect(s?.kind === 'updateLocation' && [s.displayName, s.added, s.removed]).toEqual(['TQ Block (2)', ['198.51.100.50/32'], ['198.51.100.5/32']]);
    expect(s?.kind === 'updateLocation' && s.ranges).toEqual(['198.51.100.4/32', '198.51.100.6/32', '198.51.100.50/32']);
  });

  it('mirror keeps hand-added ranges and removes stale ones of ours', () => {
    const target = makeTarget();
    const live = [liveLocation('TQ Block', ['198.51.100.1/32', '192.0.2.77/32', '198.51.100.2/32'], { id: 'L1' })];
    const owned = new Set(['198.51.100.1/32', '198.51.100.2/32']);
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32', '198.51.100.3/32']), live: { locations: live, policies: [] }, owned }));
    const s = plan.steps.find((x) => x.kind === 'updateLocation');
    expect(s?.kind === 'updateLocation' && [...s.ranges].sort()).toEqual(['192.0.2.77/32', '198.51.100.1/32', '198.51.100.3/32']);
    expect(s?.kind === 'updateLocation' && [s.ownedAdd, s.ownedRemove]).toEqual([['198.51.100.3/32'], ['198.51.100.2/32']]);
    expect(plan.summary).toMatchObject({ kept: 1, added: 1, removed: 1, ownedRemoved: 1 });
  });

  it('append keeps every live range; a manual run with clearOnManualRun writes exactly desired', () => {
    const live = [liveLocation('TQ Block', ['198.51.100.1/32', '192.0.2.77/32', '198.51.100.2/32'], { id: 'L1' })];
    const owned = new Set(['198.51.100.1/32', '198.51.100.2/32']);
    const want = desired(['198.51.100.1/32', '198.51.100.3/32']);
    const append = planReconcile(planInput({ target: makeTarget({ mode: 'append', namedLocation: { maxRangesPerLocation: 10 } }), desired: want, live: { locations: live, policies: [] }, owned }));
    const a = append.steps.find((x) => x.kind === 'updateLocation');
    expect(a?.kind === 'updateLocation' && [...a.ranges].sort()).toEqual(['192.0.2.77/32', '198.51.100.1/32', '198.51.100.2/32', '198.51.100.3/32']);
    expect(a?.kind === 'updateLocation' && a.removed).toEqual([]);

    const clearTarget = makeTarget({ namedLocation: { clearOnManualRun: true } });
    const notManual = planReconcile(planInput({ target: clearTarget, desired: want, live: { locations: live, policies: [] }, owned }));
    expect(notManual.summary.mode).toBe('mirror');
    const clear = planReconcile(planInput({ target: clearTarget, desired: want, manual: true, live: { locations: live, policies: [] }, owned }));
    expect(clear.summary.mode).toBe('clear');
    const c = clear.steps.find((x) => x.kind === 'updateLocation');
    expect(c?.kind === 'updateLocation' && [...c.ranges].sort()).toEqual(['198.51.100.1/32', '198.51.100.3/32']);
    expect(clear.ownedReplace?.sort()).toEqual(['198.51.100.1/32', '198.51.100.3/32']);
  });

  it('an emptied extra shard is first removed from the policy, then deleted', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 7)) }));
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 6)), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['removeLocationFromPolicy', 'deleteLocation']);
    const del = plan.steps[1];
    expect(del?.kind === 'deleteLocation' && [del.displayName, del.ownedRemove]).toEqual(['TQ Block (3)', ['198.51.100.7/32']]);
    const pol = plan.steps[0];
    expect(pol?.kind === 'removeLocationFromPolicy' && pol.body.conditions.locations.includeLocations).toHaveLength(2);
    const after = simulateApply(plan, first.live, first.owned);
    expect(planReconcile(planInput({ target, desired: desired(hosts(1, 6)), live: after, owned: first.owned })).steps).toEqual([]);
  });

  it('shards beyond a lowered maxLocations move their ranges into free room and are deleted', () => {
    const first = converge(planInput({ target: makeTarget(), desired: desired(hosts(1, 7)) }));
    const target = makeTarget({ namedLocation: { maxLocations: 2, maxRangesPerLocation: 4 } });
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 7)), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['updateLocation', 'removeLocationFromPolicy', 'deleteLocation']);
    expect(plan.steps.at(-1)?.kind === 'deleteLocation' && plan.steps.at(-1)?.displayName).toBe('TQ Block (3)');
    expect(plan.locations.filter((l) => l.action !== 'delete').reduce((n, l) => n + l.size, 0)).toBe(7);
  });

  it('isTrusted as configured: a change rewrites every shard', () => {
    const first = converge(planInput({ target: makeTarget(), desired: desired(hosts(1, 4)) }));
    const plan = planReconcile(planInput({ target: makeTarget({ namedLocation: { isTrusted: true } }), desired: desired(hosts(1, 4)), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['updateLocation', 'updateLocation']);
    expect(plan.steps.every((s) => s.kind === 'updateLocation' && s.isTrusted && s.added.length === 0)).toBe(true);
  });

  it('several locations with a shard name: the oldest is the shard, the others are left alone with a warning', () => {
    const target = makeTarget();
    const old = liveLocation('TQ Block', ['198.51.100.1/32'], { id: 'old', createdDateTime: '2023-01-01T00:00:00Z' });
    const young = liveLocation('TQ Block', ['198.51.100.9/32'], { id: 'young', createdDateTime: '2024-06-01T00:00:00Z' });
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live: { locations: [young, old], policies: [] } }));
    expect(plan.locations).toHaveLength(1);
    expect(plan.locations[0]?.id).toBe('old');
    expect(plan.warnings.join('\n')).toMatch(/young.*left alone/);
  });

  it('ignores locations whose names only resemble a shard name', () => {
    const target = makeTarget();
    const others = [liveLocation('TQ Block (1)', ['198.51.100.1/32']), liveLocation('tq block', ['198.51.100.1/32']), liveLocation('TQ Block (x)', ['198.51.100.1/32'])];
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32']), live: { locations: others, policies: [] } }));
    expect(kinds(plan)).toEqual(['createLocation', 'createPolicy']);
  });
});

describe('planReconcile: capacity overflow', () => {
  it('keeps the highest weights and reports the rest by source', () => {
    const target = makeTarget({ namedLocation: { maxLocations: 2, maxRangesPerLocation: 2 } });
    const want = [
      { cidr: '198.51.100.1/32', weight: 5, sources: ['tq/a'] },
      { cidr: '198.51.100.2/32', weight: 1, sources: ['tq/a', 'file'] },
      { cidr: '198.51.100.3/32', weight: 9, sources: ['tq/b'] },
      { cidr: '198.51.100.4/32', weight: 2, sources: ['tq/b'] },
      { cidr: '198.51.100.5/32', weight: 7, sources: ['file'] },
      { cidr: '198.51.100.6/32', weight: 1, sources: ['tq/b'] },
    ];
    const plan = planReconcile(planInput({ target, desired: want }));
    expect(plan.refusals).toEqual([]);
    const written = plan.steps.flatMap((s) => (s.kind === 'createLocation' ? s.ranges : []));
    expect(written.sort()).toEqual(['198.51.100.1/32', '198.51.100.3/32', '198.51.100.4/32', '198.51.100.5/32']);
    expect(plan.overflow).toMatchObject({ capacity: 4, total: 2, bySource: { 'tq/a': 1, file: 1, 'tq/b': 1 }, cutoffWeight: 2 });
    expect(plan.overflow.examples.sort()).toEqual(['198.51.100.2/32', '198.51.100.6/32']);
    expect(plan.warnings.join()).toMatch(/2 desired range\(s\) do not fit/);
  });

  it('adds the ranges the fan-in trimmed before the plan to its overflow report (total, by source, examples, warning, desired)', () => {
    const target = makeTarget({ namedLocation: { maxLocations: 2, maxRangesPerLocation: 2 } });
    const want = [
      { cidr: '198.51.100.1/32', weight: 5, sources: ['tq/a'] },
      { cidr: '198.51.100.3/32', weight: 9, sources: ['tq/b'] },
      { cidr: '198.51.100.5/32', weight: 7, sources: ['file'] },
    ];
    const trimmed = { total: 3, bySource: { 'tq/a': 2, 'tq/b': 1 }, examples: [{ cidr: '198.51.100.7/32', weight: 3 }, { cidr: '198.51.100.8/32', weight: 2 }, { cidr: '198.51.100.9/32', weight: 1 }] };
    const plan = planReconcile({ ...planInput({ target, desired: want }), trimmed });
    // Everything the plan got fits: the overflow is the trimmed ranges, the cutoff the lowest weight kept.
    expect(plan.steps.flatMap((s) => (s.kind === 'createLocation' ? s.ranges : [])).sort()).toEqual(['198.51.100.1/32', '198.51.100.3/32', '198.51.100.5/32']);
    expect(plan.overflow).toMatchObject({ capacity: 4, total: 3, bySource: { 'tq/a': 2, 'tq/b': 1 }, cutoffWeight: 5 });
    expect(plan.overflow.examples).toEqual(['198.51.100.7/32', '198.51.100.8/32', '198.51.100.9/32']);
    expect(plan.summary.desired).toBe(6);
    expect(plan.warnings.join()).toMatch(/3 desired range\(s\) do not fit/);
  });

  it('on equal weight prefers ranges already live (no churn), and kept hand-added ranges take room first', () => {
    const target = makeTarget({ namedLocation: { maxLocations: 1, maxRangesPerLocation: 3 } });
    const live = [liveLocation('TQ Block', ['192.0.2.1/32', '198.51.100.9/32'], { id: 'L1' })];
    const owned = new Set(['198.51.100.9/32']);
    const plan = planReconcile(planInput({ target, desired: desired(['198.51.100.1/32', '198.51.100.9/32', '198.51.100.2/32']), live: { locations: live, policies: [] }, owned }));
    const s = plan.steps.find((x) => x.kind === 'updateLocation');
    expect(s?.kind === 'updateLocation' && s.ranges).toEqual(['192.0.2.1/32', '198.51.100.9/32', '198.51.100.1/32']);
    expect(plan.overflow.total).toBe(1);
    expect(plan.overflow.examples).toEqual(['198.51.100.2/32']);
  });
});

describe('planReconcile: safety', () => {
  const live = [liveLocation('TQ Block', hosts(1, 3), { id: 'L1' }), liveLocation('TQ Block (2)', hosts(4, 3), { id: 'L2' })];
  const owned = new Set(hosts(1, 6));

  it('refuses when the token is for another tenant (force does not help)', () => {
    const plan = planReconcile(planInput({ target: makeTarget(), desired: desired(hosts(1, 2)), tokenTenantId: '99999999-2222-3333-4444-555555555555', force: true }));
    expect(plan.refusals.map((e) => e.code)).toEqual(['ERR_SAFETY_TENANT']);
    expect(plan.refusals[0]?.message).toMatch(/99999999-2222-3333-4444-555555555555.*11111111/);
    expect(planReconcile(planInput({ target: makeTarget(), desired: desired(hosts(1, 2)), tokenTenantId: TENANT.toUpperCase() })).refusals).toEqual([]);
  });

  it('cannot check a domain-name tenantId and says so', () => {
    const plan = planReconcile(planInput({ target: makeTarget({ tenantId: 'contoso.onmicrosoft.com' }), desired: desired(hosts(1, 2)) }));
    expect(plan.refusals).toEqual([]);
    expect(plan.warnings.join()).toMatch(/not a GUID/);
  });

  it('refuses an empty desired set with refuseEmpty unless forced', () => {
    const plan = planReconcile(planInput({ target: makeTarget(), desired: [], live: { locations: live, policies: [] }, owned }));
    expect(plan.refusals.map((e) => e.code)).toEqual(['ERR_SAFETY_EMPTY', 'ERR_SAFETY_REMOVAL']);
    const off = planReconcile(planInput({ target: makeTarget({ safety: { refuseEmpty: false, maxRemovalFraction: 1 } }), desired: [], live: { locations: live, policies: [] }, owned }));
    expect(off.refusals).toEqual([]);
    const forced = planReconcile(planInput({ target: makeTarget(), desired: [], live: { locations: live, policies: [] }, owned, force: true }));
    expect(forced.refusals).toEqual([]);
    expect(kinds(forced)).toEqual(['deleteLocation', 'deleteLocation']);
  });

  it('refuses a mirror run removing more than maxRemovalFraction of the owned ranges, unless forced', () => {
    const input = planInput({ target: makeTarget({ safety: { maxRemovalFraction: 0.5 } }), desired: desired(hosts(1, 2)), live: { locations: live, policies: [] }, owned });
    const plan = planReconcile(input);
    expect(plan.refusals.map((e) => e.code)).toEqual(['ERR_SAFETY_REMOVAL']);
    expect(plan.refusals[0]?.details).toMatchObject({ removed: 4, owned: 6 });
    expect(planReconcile({ ...input, force: true }).refusals).toEqual([]);
    // exactly half is allowed
    expect(planReconcile({ ...input, desired: desired(hosts(1, 3)) }).refusals).toEqual([]);
    // hand-added ranges do not count: they are never removed in mirror mode
    expect(planReconcile({ ...input, owned: new Set(hosts(1, 2)) }).refusals).toEqual([]);
  });
});

describe('planReconcile: policy', () => {
  it('updates only the managed fields that differ, and deleteExisting re-creates instead', () => {
    const first = converge(planInput({ target: makeTarget(), desired: desired(hosts(1, 2)) }));
    const changed = makeTarget({ policy: { state: 'enabled', clientAppTypes: ['browser', 'other'] } });
    const plan = planReconcile(planInput({ target: changed, desired: desired(hosts(1, 2)), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['updatePolicy']);
    expect(plan.policy.changes.map((c) => c.field)).toEqual(['state', 'conditions.clientAppTypes']);
    const s = plan.steps[0];
    expect(s?.kind === 'updatePolicy' && s.body.conditions.users).toBeUndefined();

    const recreate = makeTarget({ policy: { state: 'enabled', deleteExisting: true } });
    const r = planReconcile(planInput({ target: recreate, desired: desired(hosts(1, 2)), live: first.live, owned: first.owned }));
    // The new policy first, then the old one goes: never a moment without a blocking policy.
    expect(kinds(r)).toEqual(['createPolicy', 'deletePolicy']);
    expect(r.policy.action).toBe('recreate');
    const unchanged = planReconcile(planInput({ target: makeTarget({ policy: { deleteExisting: true } }), desired: desired(hosts(1, 2)), live: first.live, owned: first.owned }));
    expect(unchanged.steps).toEqual([]);
  });

  it('several policies with the name: manages the oldest and warns; deleteExisting deletes them all', () => {
    const first = converge(planInput({ target: makeTarget(), desired: desired(hosts(1, 2)) }));
    const ours = first.live.policies[0] as ConditionalAccessPolicy;
    const dup = { ...ours, id: 'pol-young', createdDateTime: '2025-01-01T00:00:00Z' };
    const policies = [dup, ours];
    const plan = planReconcile(planInput({ target: makeTarget({ policy: { state: 'disabled' } }), desired: desired(hosts(1, 2)), live: { ...first.live, policies }, owned: first.owned }));
    expect(plan.policy.id).toBe(ours.id);
    expect(plan.steps.map((s) => s.kind === 'updatePolicy' && s.id)).toEqual([ours.id]);
    expect(plan.warnings.join()).toMatch(/2 policies are named "TQ Policy"/);
    const del = planReconcile(planInput({ target: makeTarget({ policy: { deleteExisting: true } }), desired: desired(hosts(1, 2)), live: { ...first.live, policies }, owned: first.owned }));
    expect(del.steps.map((s) => s.kind + (s.kind === 'deletePolicy' ? `:${s.id}` : ''))).toEqual(['createPolicy', `deletePolicy:${ours.id}`, 'deletePolicy:pol-young']);
  });

  it('a new shard is referenced by the policy after it is created', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 3)) }));
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 4)), live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['createLocation', 'updatePolicy']);
    const s = plan.steps[1];
    expect(s?.kind === 'updatePolicy' && s.body.conditions.locations.includeLocations).toEqual([
      { kind: 'existing', id: first.live.locations[0]?.id },
      { kind: 'shard', shard: 2 },
    ]);
  });

  it('deletes the policy when nothing is left to block (forced empty run), before the locations', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 4)) }));
    const plan = planReconcile(planInput({ target, desired: [], force: true, live: first.live, owned: first.owned }));
    expect(kinds(plan)).toEqual(['deletePolicy', 'deleteLocation', 'deleteLocation']);
    expect(plan.policy.action).toBe('delete');
  });

  it('leaves a shard that another policy references instead of deleting it', () => {
    const target = makeTarget();
    const first = converge(planInput({ target, desired: desired(hosts(1, 4)) }));
    const shard2 = first.live.locations.find((l) => l.displayName === 'TQ Block (2)') as LiveLocation;
    const foreign = { ...(first.live.policies[0] as ConditionalAccessPolicy), id: 'foreign', displayName: 'Someone else' };
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 3)), live: { ...first.live, policies: [...first.live.policies, foreign] }, owned: first.owned }));
    expect(kinds(plan)).toEqual(['removeLocationFromPolicy']);
    expect(plan.locations.find((l) => l.id === shard2.id)?.action).toBe('unchanged');
    expect(plan.warnings.join()).toMatch(/referenced by policy "Someone else"/);
    expect(plan.ownedCleanup).toEqual([]);
  });
});

describe('planReconcile: shard edge cases', () => {
  it('a lowered maxRangesPerLocation spills the excess into free room', () => {
    const first = converge(planInput({ target: makeTarget({ namedLocation: { maxRangesPerLocation: 4 } }), desired: desired(hosts(1, 6)) }));
    const target = makeTarget({ namedLocation: { maxRangesPerLocation: 3 } });
    const plan = planReconcile(planInput({ target, desired: desired(hosts(1, 6)), live: first.live, owned: first.owned }));
    const sizes = plan.locations.map((l) => [l.displayName, l.size]);
    expect(sizes).toEqual([['TQ Block', 3], ['TQ Block (2)', 3]]);
    expect(plan.summary.removed).toBe(0);
    const again = simulateApply(plan, first.live, first.owned);
    expect(planReconcile(planInput({ target, desired: desired(hosts(1, 6)), live: again, owned: first.owned })).steps).toEqual([]);
  });

  it('a range found in two shards stays in the first and is dropped from the second', () => {
    const target = makeTarget();
    const live = [liveLocation('TQ Block', ['198.51.100.1/32', '198.51.100.2/32'], { id: 'L1' }), liveLocation('TQ Block (2)', ['198.51.100.2/32', '198.51.100.3/32'], { id: 'L2' })];
    const all = ['198.51.100.1/32', '198.51.100.2/32', '198.51.100.3/32'];
    const plan = planReconcile(planInput({ target, desired: desired(all), live: { locations: live, policies: [] }, owned: new Set(all) }));
    const s = plan.steps.find((x) => x.kind === 'updateLocation');
    expect(s?.kind === 'updateLocation' && [s.displayName, s.ranges, s.ownedRemove]).toEqual(['TQ Block (2)', ['198.51.100.3/32'], []]);
  });
});
