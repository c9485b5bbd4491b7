/** Fan-in of committed snapshots into the desired set of a target (real Redis). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';
import { buildDesiredFromSnapshots, subtractNeverBlock, subtractWhitelists } from '../../src/reconcile/desired-ranges.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis;
beforeEach(() => {
  r = testRedis('reconcile-desired');
});
afterEach(async () => {
  await r.cleanup();
});

const meta = (runId: string, n: number) => ({ runId, committedAt: '2026-01-01T00:00:00.000Z', seen: n, accepted: n, rejected: 0, ranges: n });

describe('buildDesiredFromSnapshots', () => {
  it('unions every collection feeding the target, merges, keeps the highest weight and the contributing sources', async () => {
    const config = configFrom({
      sources: [
        { name: 'tq', kind: 'threatq', url: 'https://tq.example.com', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' }, collections: [{ id: 'hash1', targets: ['t1'] }, { id: 'hash2', targets: ['t1'] }, { id: 'other', targets: ['t2'] }] },
        { name: 'list', kind: 'file', path: '/feeds/list.txt', targets: ['t1'] },
      ],
      targets: [baseTarget(), baseTarget({ name: 't2' })],
    });
    const keys = stateKeys(r.prefix);
    await commitSnapshot(r.client, keys, 'tq', 'hash1', [{ cidr: '11.0.0.0/32', weight: 5 }, { cidr: '12.0.0.1/32', weight: 1 }], meta('r1', 2), 0);
    await commitSnapshot(r.client, keys, 'tq', 'hash2', [{ cidr: '11.0.0.1/32', weight: 9 }], meta('r2', 1), 0);
    await commitSnapshot(r.client, keys, 'tq', 'other', [{ cidr: '99.0.0.1/32', weight: 9 }], meta('r3', 1), 0);
    // the file source never committed

    const { desired, snapshots } = await buildDesiredFromSnapshots(r.client, keys, config, 't1');
    expect(desired).toEqual([
      { cidr: '11.0.0.0/31', weight: 9, sources: ['tq/hash1', 'tq/hash2'] },
      { cidr: '12.0.0.1/32', weight: 1, sources: ['tq/hash1'] },
    ]);
    expect(snapshots.map((s) => [s.label, s.ranges])).toEqual([
      ['tq/hash1', 2],
      ['tq/hash2', 1],
      ['list', undefined],
    ]);
  });

  it('with keepTop, makes objects only for the ranges at or above the keepTop-th highest weight and counts the rest by source', async () => {
    const config = configFrom({
      sources: [{ name: 'tq', kind: 'threatq', url: 'https://tq.example.com', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' }, collections: [{ id: 'a', targets: ['t1'] }, { id: 'b', targets: ['t1'] }] }],
      targets: [baseTarget()],
    });
    const keys = stateKeys(r.prefix);
    const host = (i: number) => `11.0.${i >> 7}.${(i & 127) * 2}/32`;
    // 30 never-adjacent ranges, weight = index; b repeats the 10 lowest at weight 0 and adds one tie at 25.
    await commitSnapshot(r.client, keys, 'tq', 'a', Array.from({ length: 30 }, (_, i) => ({ cidr: host(i), weight: i })), meta('ra', 30), 0);
    await commitSnapshot(r.client, keys, 'tq', 'b', [...Array.from({ length: 10 }, (_, i) => ({ cidr: host(i), weight: 0 })), { cidr: '12.0.0.1/32', weight: 25 }], meta('rb', 11), 0);

    const { desired, trimmed } = await buildDesiredFromSnapshots(r.client, keys, config, 't1', 5);
    // The 5th highest weight is 25: both ranges at 25 stay (ties are the plan's to break), 6 in all.
    expect(desired.map((d) => [d.cidr, d.weight])).toEqual([...[25, 26, 27, 28, 29].map((i) => [host(i), i]), ['12.0.0.1/32', 25]]);
    expect(desired[5]?.sources).toEqual(['tq/b']);
    expect(trimmed?.total).toBe(25);
    expect(trimmed?.bySource).toEqual({ 'tq/a': 25, 'tq/b': 10 });
    expect(trimmed?.examples.slice(0, 3)).toEqual([24, 23, 22].map((i) => ({ cidr: host(i), weight: i })));
    expect(trimmed?.examples).toHaveLength(20);

    const whole = await buildDesiredFromSnapshots(r.client, keys, config, 't1');
    expect(whole.trimmed).toBeUndefined();
    expect(whole.desired).toHaveLength(31);
  });
});

describe('subtractWhitelists', () => {
  const tq = (name: string, collections: { id: string; targets: string[] }[], extra: Record<string, unknown> = {}) => ({
    name,
    kind: 'threatq',
    url: `https://${name}.example.com`,
    auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' },
    collections,
    ...extra,
  });

  it("takes out the union of the whitelists of every collection of every source feeding the target that honours them, whichever source has the range", async () => {
    const config = configFrom({
      sources: [
        tq('tq-a', [{ id: 'a1', targets: ['t1'] }, { id: 'a2', targets: ['t2'] }]),
        tq('tq-off', [{ id: 'o1', targets: ['t1'] }], { neverBlockWhitelisted: false }),
        tq('tq-new', [{ id: 'n1', targets: ['t1'] }]),
        { name: 'list', kind: 'file', path: '/feeds/list.txt', targets: ['t1'] },
      ],
      targets: [baseTarget({ safety: { neverBlock: ['11.0.0.0/30'] } }), baseTarget({ name: 't2' })],
    });
    const keys = stateKeys(r.prefix);
    const wl = (source: string, collection: string, cidrs: string[], runId: string) =>
      commitSnapshot(r.client, keys, source, collection, [], meta(runId, 0), 0, `${runId}~1`, cidrs);
    await commitSnapshot(r.client, keys, 'list', '/feeds/list.txt', [{ cidr: '198.51.100.7/32', weight: 1 }, { cidr: '203.0.113.0/24', weight: 2 }, { cidr: '11.0.0.0/29', weight: 4 }], meta('f', 3), 0);
    await wl('tq-a', 'a1', ['198.51.100.7/32', '203.0.113.128/25'], 'ra1'); // the file's ranges: the whitelist of tq-a wins
    await wl('tq-a', 'a2', ['11.0.0.4/32'], 'ra2'); // feeds t2 only, but tq-a feeds t1 too: whitelisted for t1
    await wl('tq-off', 'o1', ['11.0.0.5/32'], 'ro1'); // source does not honour its whitelist
    // tq-new never committed a whitelist

    const { desired: fanIn } = await buildDesiredFromSnapshots(r.client, keys, config, 't1');
    const target = config.targets[0];
    const { desired, whitelist } = await subtractWhitelists(r.client, keys, config, 't1', subtractNeverBlock(fanIn, target?.safety.neverBlock ?? []));
    expect(desired).toEqual([
      { cidr: '11.0.0.5/32', weight: 4, sources: ['list'] },
      { cidr: '11.0.0.6/31', weight: 4, sources: ['list'] },
      { cidr: '203.0.113.0/25', weight: 2, sources: ['list'] },
    ]);
    expect(whitelist).toEqual({
      ranges: 3,
      cut: 3,
      collections: [
        { label: 'tq-a/a1', ranges: 2 },
        { label: 'tq-a/a2', ranges: 1 },
        { label: 'tq-new/n1', ranges: undefined },
      ],
    });
  });

  it('an empty committed whitelist and no whitelist at all leave desired as it is', async () => {
    const config = configFrom({ sources: [tq('tq-a', [{ id: 'a1', targets: ['t1'] }])], targets: [baseTarget()] });
    const keys = stateKeys(r.prefix);
    const d = [{ cidr: '198.51.100.7/32', weight: 1, sources: ['tq-a/a1'] }];
    expect(await subtractWhitelists(r.client, keys, config, 't1', d)).toEqual({ desired: d, whitelist: { ranges: 0, cut: 0, collections: [{ label: 'tq-a/a1', ranges: undefined }] }, cidrs: [] });
    await commitSnapshot(r.client, keys, 'tq-a', 'a1', [], meta('r', 0), 0, 'r~1', []);
    expect((await subtractWhitelists(r.client, keys, config, 't1', d)).whitelist).toEqual({ ranges: 0, cut: 0, collections: [{ label: 'tq-a/a1', ranges: 0 }] });
  });
});
