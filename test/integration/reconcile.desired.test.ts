/** Fan-in of committed snapshots into the desired set of a target (real Redis). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';
import { buildDesiredFromSnapshots } from '../../src/reconcile/desired-ranges.ts';
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
});
