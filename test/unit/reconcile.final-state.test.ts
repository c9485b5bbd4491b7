/**
 * finalStateOf against an oracle: the state the plan fixtures' simulateApply leaves (the in-memory
 * Graph each plan step is applied to). Over a sequence of runs (create, grow, shrink with a shard
 * deleted, a policy state change, nothing to do), the recorded status names exactly the target's
 * shards with the ranges they hold and the policy's state.
 */
import { describe, expect, it } from 'vitest';
import { planReconcile } from '../../src/reconcile/plan.ts';
import { finalStateOf } from '../../src/reconcile/final-state.ts';
import type { LiveLocation } from '../../src/reconcile/plan-types.ts';
import type { ConditionalAccessPolicy } from '../../src/graph/graph-types.ts';
import { shardIndexOf } from '../../src/config/location-names.ts';
import { desired, liveLocation, makeTarget, planInput, simulateApply, TENANT } from '../fixtures/reconcile/plan-fixtures.ts';

const hosts = (from: number, n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${from + i}/32`);
const AT = new Date('2026-11-30T09:00:00Z');

type Live = { locations: LiveLocation[]; policies: ConditionalAccessPolicy[] };

/** What the oracle's Graph holds for the target: its shards in shard order, its policy. */
function oracleView(live: Live, base: string, policyName: string) {
  const shards = live.locations
    .filter((l) => shardIndexOf(base, l.displayName) !== undefined)
    .sort((a, b) => (shardIndexOf(base, a.displayName) ?? 0) - (shardIndexOf(base, b.displayName) ?? 0));
  const p = live.policies.find((x) => x.displayName === policyName);
  return { policy: p ? { displayName: p.displayName, state: p.state } : undefined, locations: shards.map((l) => ({ displayName: l.displayName, ranges: [...l.ranges] })) };
}

describe('finalStateOf', () => {
  it('matches the applied state run after run', () => {
    const runs = [
      { cidrs: hosts(1, 7), state: 'enabledForReportingButNotEnforced' },
      { cidrs: hosts(1, 9), state: 'enabledForReportingButNotEnforced' },
      { cidrs: hosts(1, 6), state: 'enabledForReportingButNotEnforced' },
      { cidrs: hosts(1, 6), state: 'enabled' },
      { cidrs: hosts(1, 6), state: 'enabled' },
    ] as const;
    let live: Live = { locations: [liveLocation('Someone else', ['192.0.2.0/24'])], policies: [] };
    const owned = new Set<string>();
    const seenActions = new Set<string>();
    for (const run of runs) {
      const target = makeTarget({ policy: { name: 'TQ Policy', state: run.state } });
      const plan = planReconcile(planInput({ target, desired: desired(run.cidrs), live, owned }));
      expect(plan.refusals).toEqual([]);
      for (const l of plan.locations) seenActions.add(l.action);
      seenActions.add(`policy:${plan.policy.action}`);
      const status = finalStateOf(plan, live, TENANT, AT);
      live = simulateApply(plan, live, owned);
      const view = oracleView(live, 'TQ Block', 'TQ Policy');
      expect({ policy: status.policy, locations: status.locations.map((l) => ({ ...l, ranges: [...l.ranges] })) }).toEqual(view);
      expect(status.locations.flatMap((l) => l.ranges).sort()).toEqual([...run.cidrs].sort());
      expect(status).toMatchObject({ tenantId: TENANT, recordedAt: AT.toISOString() });
    }
    // The sequence exercised every kind of location change and a policy update.
    expect([...seenActions].sort()).toEqual(['create', 'delete', 'policy:create', 'policy:unchanged', 'policy:update', 'unchanged', 'update'].sort());
  });

  it('records no policy once the plan deletes it, and no location when the target is emptied', () => {
    const target = makeTarget({ policy: { name: 'TQ Policy' } });
    const owned = new Set<string>();
    const first = planReconcile(planInput({ target, desired: desired(hosts(1, 2)), live: { locations: [], policies: [] }, owned }));
    let live = simulateApply(first, { locations: [], policies: [] }, owned);
    const empty = planReconcile(planInput({ target, desired: [], live, owned, force: true }));
    expect(empty.refusals).toEqual([]);
    const status = finalStateOf(empty, live, TENANT, AT);
    live = simulateApply(empty, live, owned);
    expect(status.policy).toEqual(oracleView(live, 'TQ Block', 'TQ Policy').policy);
    expect(status.locations).toEqual(oracleView(live, 'TQ Block', 'TQ Policy').locations);
  });
});
