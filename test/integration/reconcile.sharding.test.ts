/**
 * Reconcile against the Graph emulator over HTTPS with a real Redis: sharding of 5,000 and 50,000
 * ranges, zero writes on an unchanged second run, one location rewritten for one added range, owned
 * ranges recorded.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { readOwnedRanges } from '../../src/state/owned-ranges-store.ts';
import { harness, hostRanges, LOCATION, locationsIn, policiesIn, rangesOf, TARGET, writes } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let r: TestRedis;

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  r = testRedis('reconcile-shard');
  return async () => {
    await r.cleanup();
  };
});

describe('reconcile: sharding', () => {
  it('5,000 ranges: three shards of at most 2000, a policy on them; a second run writes nothing; one more range rewrites one shard', async () => {
    const h = harness(emu, r.client, r.prefix);
    const desired = hostRanges(5000);
    const first = await h.reconcile({ desired });
    const locs = locationsIn(emu);
    expect(locs.map((l) => l.displayName)).toEqual([LOCATION, `${LOCATION} (2)`, `${LOCATION} (3)`]);
    expect(locs.map((l) => l.ipRanges.length)).toEqual([2000, 2000, 1000]);
    expect(new Set(locs.flatMap(rangesOf))).toEqual(new Set(desired.map((d) => d.cidr)));
    const [policy] = policiesIn(emu);
    expect(policy?.conditions.locations?.includeLocations.sort()).toEqual(locs.map((l) => l.id).sort());
    expect(policy?.state).toBe('enabledForReportingButNotEnforced');
    expect(policy?.conditions.users?.['includeUsers']).toEqual(['None']);
    expect(first.applied?.steps.map((s) => s.kind)).toEqual(['createLocation', 'createLocation', 'createLocation', 'createPolicy']);
    expect((await readOwnedRanges(r.client, h.keys, TARGET)).size).toBe(5000);

    emu.clearRequests();
    const second = await h.reconcile({ desired });
    expect(writes(emu)).toEqual([]);
    expect(second.plan.summary.writes).toBe(0);
    expect(second.applied?.graphWrites).toBe(0);

    emu.clearRequests();
    await h.reconcile({ desired: [...desired, ...hostRanges(1, 6000)] });
    const w = writes(emu);
    expect(w.map((e) => `${e.method} ${e.status}`)).toEqual(['PATCH 204']);
    expect(w[0]?.path).toContain(locs[2]?.id);
    expect(rangesOf(locationsIn(emu)[2])).toHaveLength(1001);
  });

  it('50,000 ranges fill 25 shards exactly and every range is written once', async () => {
    const h = harness(emu, r.client, r.prefix, { namedLocation: { maxLocations: 30 } });
    const desired = hostRanges(50_000);
    const res = await h.reconcile({ desired });
    const locs = locationsIn(emu);
    expect(locs).toHaveLength(25);
    expect(locs.every((l) => l.ipRanges.length === 2000)).toBe(true);
    expect(locs.map((l) => l.displayName)).toEqual(Array.from({ length: 25 }, (_, i) => (i === 0 ? LOCATION : `${LOCATION} (${i + 1})`)));
    const all = locs.flatMap(rangesOf);
    expect(all).toHaveLength(50_000);
    expect(new Set(all).size).toBe(50_000);
    expect(res.plan.overflow.total).toBe(0);
    expect(policiesIn(emu)[0]?.conditions.locations?.includeLocations).toHaveLength(25);
  }, 60_000);
});
