/**
 * Reconcile safety and convergence against the Graph emulator (HTTPS) with a real Redis: every
 * refusal writes nothing; mirror keeps hand-added ranges; capacity overflow keeps the highest
 * priority and reports the rest; a run interrupted between writes converges on the next run
 * without duplicates.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_APPS, startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { createGraphClient } from '../../src/graph/graph-client.ts';
import { createGraphCredential } from '../../src/graph/graph-credential.ts';
import { readOwnedRanges } from '../../src/state/owned-ranges-store.ts';
import { reconcileTarget } from '../../src/reconcile/reconcile-target.ts';
import { emulatorConfig, harness, hostRanges, LOCATION, locationsIn, policiesIn, quietLogger, rangesOf, TARGET, writes } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';
import { Writable } from 'node:stream';
import { createLogger, transports } from 'winston';

const OTHER_TENANT = '7a1b2c3d-0000-4000-8000-00000000000b';
const OTHER_APP = { tenantId: OTHER_TENANT, clientId: '9b8a7c6d-1111-4222-8333-444455556666', clientSecret: 'other-tenant-secret', roles: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'] };

let emu: GraphEmulator;
let r: TestRedis;

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 }, apps: [...DEFAULT_APPS, OTHER_APP] });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  r = testRedis('reconcile-safety');
  return async () => {
    await r.cleanup();
  };
});

describe('reconcile: safety refusals write nothing', () => {
  it('ERR_SAFETY_EMPTY: an empty desired set with refuseEmpty (--force overrides)', async () => {
    const h = harness(emu, r.client, r.prefix);
    await h.reconcile({ desired: hostRanges(4) });
    emu.clearRequests();
    await expect(h.reconcile({ desired: [] })).rejects.toMatchObject({ code: 'ERR_SAFETY_EMPTY' });
    expect(writes(emu)).toEqual([]);
    expect(locationsIn(emu)).toHaveLength(1);
    // forced: the policy goes first (nothing left to block), then the location; the owned record empties
    await h.reconcile({ desired: [], force: true });
    expect(writes(emu).map((w) => `${w.method} ${/(policies|namedLocations)/.exec(w.path)?.[1]}`)).toEqual(['DELETE policies', 'DELETE namedLocations']);
    expect(locationsIn(emu)).toEqual([]);
    expect((await readOwnedRanges(r.client, h.keys, TARGET)).size).toBe(0);
  });

  it('ERR_SAFETY_REMOVAL: mirror removing more than maxRemovalFraction of the owned ranges (--force overrides)', async () => {
    const h = harness(emu, r.client, r.prefix, { safety: { maxRemovalFraction: 0.25 } });
    await h.reconcile({ desired: hostRanges(8) });
    emu.clearRequests();
    const err = await h.reconcile({ desired: hostRanges(5) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SAFETY_REMOVAL', details: { removed: 3, owned: 8 } });
    expect(writes(emu)).toEqual([]);
    expect(rangesOf(locationsIn(emu)[0])).toHaveLength(8);
    await h.reconcile({ desired: hostRanges(6) }); // 2 of 8 = 25 %: allowed
    await h.reconcile({ desired: hostRanges(2), force: true });
    expect(rangesOf(locationsIn(emu)[0]).sort()).toEqual(hostRanges(2).map((d) => d.cidr).sort());
  });

  it('ERR_SAFETY_TENANT: the token is for another tenant than the configured tenantId (force does not help)', async () => {
    const config = emulatorConfig(emu, r.prefix);
    const other = emulatorConfig(emu, r.prefix, { tenantId: OTHER_TENANT, clientId: OTHER_APP.clientId, clientSecret: OTHER_APP.clientSecret });
    const graph = createGraphClient(config.targets[0]!, { redis: r.client, prefix: r.prefix, credential: createGraphCredential(other.targets[0]!), logger: quietLogger });
    const run = () =>
      reconcileTarget({ config, targetName: TARGET, redis: r.client, keys: harness(emu, r.client, r.prefix).keys, graph, desired: hostRanges(3), manual: false, force: true, dryRun: false, logger: quietLogger });
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SAFETY_TENANT', details: { tokenTenant: OTHER_TENANT } });
    expect(writes(emu)).toEqual([]);
    expect(emu.state(OTHER_TENANT).namedLocations).toEqual([]);
  });
});

describe('reconcile: mirror, overflow', () => {
  it('mirror keeps ranges an administrator added by hand and removes stale ranges of ours', async () => {
    const h = harness(emu, r.client, r.prefix);
    await h.reconcile({ desired: hostRanges(4) });
    const [loc] = locationsIn(emu);
    await h.graph.updateNamedLocation(loc!.id, { displayName: LOCATION, ipRanges: [...rangesOf(loc), '203.0.113.0/24'], isTrusted: false });
    emu.clearRequests();
    await h.reconcile({ desired: [...hostRanges(3), ...hostRanges(1, 100)] });
    expect(writes(emu)).toHaveLength(1);
    expect(rangesOf(locationsIn(emu)[0]).sort()).toEqual(['203.0.113.0/24', ...hostRanges(3).map((d) => d.cidr), hostRanges(1, 100)[0]!.cidr].sort());
    const owned = await readOwnedRanges(r.client, h.keys, TARGET);
    expect(owned.has('203.0.113.0/24')).toBe(false);
    expect(owned.size).toBe(4);
  });

  it('append mode keeps stale ranges of ours', async () => {
    const h = harness(emu, r.client, r.prefix, { mode: 'append' });
    await h.reconcile({ desired: hostRanges(4) });
    await h.reconcile({ desired: hostRanges(1, 50) });
    expect(rangesOf(locationsIn(emu)[0])).toHaveLength(5);
  });

  it('over capacity: keeps the highest-priority ranges, reports the rest by source, does not fail', async () => {
    const h = harness(emu, r.client, r.prefix, { namedLocation: { maxLocations: 2, maxRangesPerLocation: 3 } });
    const low = hostRanges(4, 0, 1, ['tq/low']);
    const high = hostRanges(4, 10, 9, ['tq/high']);
    const mid = hostRanges(2, 20, 5, ['file']);
    const res = await h.reconcile({ desired: [...low, ...high, ...mid] });
    const written = locationsIn(emu).flatMap(rangesOf).sort();
    expect(written).toEqual([...high, ...mid].map((d) => d.cidr).sort());
    expect(res.plan.overflow).toMatchObject({ capacity: 6, total: 4, bySource: { 'tq/low': 4 } });
    expect(policiesIn(emu)).toHaveLength(1);
  });
});

describe('reconcile: a fan-in over capacity that the whitelist and neverBlock cut below it', () => {
  const tqSource = { name: 'tq', kind: 'threatq', url: 'https://tq.example.com', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' }, collections: [{ id: 'a', targets: [TARGET] }, { id: 'b', targets: [TARGET] }] };
  const meta = (runId: string, n: number) => ({ runId, committedAt: '2026-01-01T00:00:00.000Z', seen: n, accepted: n, rejected: 0, ranges: n });
  // 300 never-adjacent hosts over two collections, weights 0..29 (ten ties each); the whitelist takes
  // 16 of the heaviest and neverBlock a /28 holding 8 more, so the top 30 (the capacity) lose half.
  async function commitFeeds(redis: TestRedis): Promise<string[]> {
    const keys = harness(emu, redis.client, redis.prefix).keys;
    const hosts = hostRanges(300);
    const a = hosts.filter((_, i) => i % 2 === 0).map((d, i) => ({ cidr: d.cidr, weight: (i * 7) % 30 }));
    const b = hosts.filter((_, i) => i % 2 === 1).map((d, i) => ({ cidr: d.cidr, weight: (i * 11) % 30 }));
    const heavy = [...a, ...b].sort((x, y) => y.weight - x.weight).slice(0, 16).map((d) => d.cidr);
    await commitSnapshot(redis.client, keys, 'tq', 'a', a, meta('ra', a.length), 0, 'ra~1', heavy.slice(0, 8));
    await commitSnapshot(redis.client, keys, 'tq', 'b', b, meta('rb', b.length), 0, 'rb~1', heavy.slice(8));
    return heavy;
  }
  const over = (grace: boolean) => ({ namedLocation: { maxLocations: 3, maxRangesPerLocation: 10 }, safety: { neverBlock: ['11.0.1.0/28'] }, ...(grace ? { removalGrace: '1h' } : {}) });

  it('places exactly what the whole fan-in would (the whole fan-in: a target with removalGrace), keeping more only as needed', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', transports: [new transports.Stream({ stream: new Writable({ objectMode: true, write: (l: Record<string, unknown>, _e, done) => (lines.push(l), done()) }) })] });
    const taken = new Set([...(await commitFeeds(r)), ...hostRanges(8, 128).map((d) => d.cidr)]); // whitelisted or in the /28
    const trimmed = await harness(emu, r.client, r.prefix, over(false), { sources: [tqSource] }).reconcile({ logger });
    const placedTrimmed = locationsIn(emu).flatMap(rangesOf).sort();
    const r2 = testRedis('reconcile-safety-whole');
    try {
      emu.reset();
      await commitFeeds(r2);
      const whole = await harness(emu, r2.client, r2.prefix, over(true), { sources: [tqSource] }).reconcile({ logger: quietLogger });
      expect(placedTrimmed).toEqual(locationsIn(emu).flatMap(rangesOf).sort());
      // The ranges left out are counted before the subtractions (desired-ranges.ts): the overflow of
      // the trimmed fan-in also counts those of them the whitelist or neverBlock would have taken.
      expect(whole.plan.overflow.total).toBe(300 - taken.size - 30);
      expect(trimmed.plan.overflow.total).toBeGreaterThanOrEqual(whole.plan.overflow.total);
      expect(trimmed.plan.overflow.total).toBeLessThanOrEqual(300 - 30);
    } finally {
      await r2.cleanup();
    }
    expect(placedTrimmed).toHaveLength(30);
    expect(trimmed.whitelist.ranges).toBe(16);
    const widened = lines.filter((l) => String(l['message']).startsWith('fan-in: the subtractions left fewer'));
    expect(widened.length).toBeGreaterThan(0);
    expect(widened[0]).toMatchObject({ capacity: 30 });
    expect(Number(widened[0]?.['held'])).toBeGreaterThanOrEqual(30); // ties at the cut-off are all held
    expect(widened.some((l) => l['next'] === 'all')).toBe(false); // never the whole union of 300
  });
});

describe('reconcile: interrupted runs converge', () => {
  it('locations created but the policy write failed: the next run creates only the policy, no duplicates', async () => {
    const h = harness(emu, r.client, r.prefix);
    emu.addFaults([{ method: 'POST', path: '/policies', status: 400, times: 1 }]);
    await expect(h.reconcile({ desired: hostRanges(4500) })).rejects.toMatchObject({ code: 'ERR_GRAPH_VALIDATION' });
    expect(locationsIn(emu)).toHaveLength(3);
    expect(policiesIn(emu)).toHaveLength(0);
    expect((await readOwnedRanges(r.client, h.keys, TARGET)).size).toBe(4500);
    emu.clearRequests();
    await h.reconcile({ desired: hostRanges(4500) });
    expect(writes(emu).map((w) => `${w.method} ${/(policies|namedLocations)/.exec(w.path)?.[1]}`)).toEqual(['POST policies']);
    expect(locationsIn(emu)).toHaveLength(3);
    expect(policiesIn(emu)[0]?.conditions.locations?.includeLocations).toHaveLength(3);
  });

  it('one shard written, the next write failed: the next run writes only what is left', async () => {
    const h = harness(emu, r.client, r.prefix);
    await h.reconcile({ desired: hostRanges(5000) });
    const [s1, , s3] = locationsIn(emu);
    // Drop one range from shard 1 and one from shard 3, add two new ones.
    const next = hostRanges(5000).filter((d) => d.cidr !== rangesOf(s1)[0] && d.cidr !== rangesOf(s3)[0]);
    next.push(...hostRanges(2, 9000));
    emu.addFaults([{ method: 'PATCH', path: s3!.id, status: 400, times: 1 }]);
    emu.clearRequests();
    await expect(h.reconcile({ desired: next })).rejects.toMatchObject({ code: 'ERR_GRAPH_VALIDATION' });
    expect(writes(emu).map((w) => `${w.method} ${w.status}`)).toEqual(['PATCH 204', 'PATCH 400']);
    emu.clearRequests();
    await h.reconcile({ desired: next });
    expect(writes(emu).map((w) => `${w.method} ${w.status} ${w.path.includes(s3!.id)}`)).toEqual(['PATCH 204 true']);
    const all = locationsIn(emu).flatMap(rangesOf);
    expect(new Set(all)).toEqual(new Set(next.map((d) => d.cidr)));
    expect(all).toHaveLength(next.length);
    const owned = await readOwnedRanges(r.client, h.keys, TARGET);
    expect(owned).toEqual(new Set(next.map((d) => d.cidr)));
    emu.clearRequests();
    await h.reconcile({ desired: next });
    expect(writes(emu)).toEqual([]);
  });
});
