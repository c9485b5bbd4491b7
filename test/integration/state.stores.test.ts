import { afterEach, describe, expect, it } from 'vitest';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { commitSnapshot, readSnapshot, readStagedChunks, readStagedWhitelist, readWhitelist, stageChunk, stageWhitelist } from '../../src/state/snapshot-store.ts';
import { LockBusyError } from '../../src/state/errors/lock-busy-error.ts';
import { LockLostError } from '../../src/state/errors/lock-lost-error.ts';
import { acquireTargetLock } from '../../src/state/target-lock.ts';
import { readOwnedRanges, recordOwnedChange, replaceOwnedRanges } from '../../src/state/owned-ranges-store.ts';
import { decodeRanges, encodeRanges } from '../../src/state/snapshot-codec.ts';
import { priorityWeight, weightScore } from '../../src/pipeline/priority.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis | undefined;
afterEach(async () => {
  await r?.cleanup();
  r = undefined;
});

describe('snapshot store', () => {
  it('stages chunks, keeps the old snapshot until commit, then swaps atomically and drops staging', async () => {
    r = testRedis('snap');
    const { client } = r;
    const keys = stateKeys(r.prefix);
    const meta = { runId: 'run-1', committedAt: '2026-01-01T00:00:00.000Z', seen: 3, accepted: 2, rejected: 1, ranges: 2 };
    await commitSnapshot(client, keys, 'tq', 'c1', [{ cidr: '198.51.100.0/24', weight: 5 }], { ...meta, runId: 'run-0' }, 0);
    await stageChunk(client, keys, 'run-1', 0, [{ cidr: '203.0.113.7/32', weight: 1 }]);
    await stageChunk(client, keys, 'run-1', 1, [{ cidr: '2001:db8::/32', weight: 2 }]);
    expect((await readSnapshot(client, keys, 'tq', 'c1'))?.entries).toEqual([{ cidr: '198.51.100.0/24', weight: 5 }]);
    const staged = await readStagedChunks(client, keys, 'run-1', 3);
    expect(staged.missing).toEqual([2]);
    expect(staged.entries.flat()).toHaveLength(2);
    expect(await client.ttl(keys.stage('run-1', 0))).toBeGreaterThan(0);
    await commitSnapshot(client, keys, 'tq', 'c1', staged.entries.flat(), meta, 2);
    const snap = await readSnapshot(client, keys, 'tq', 'c1');
    expect(snap?.meta).toEqual(meta);
    expect(snap?.entries.map((e) => e.cidr)).toEqual(['203.0.113.7/32', '2001:db8::/32']);
    expect(await client.exists(keys.stage('run-1', 0), keys.stage('run-1', 1))).toBe(0);
    expect(await readSnapshot(client, keys, 'tq', 'other')).toBeNull();
  });

  it('stages a whitelist per attempt and commits it with the snapshot; an uncommitted one changes nothing', async () => {
    r = testRedis('wl');
    const { client } = r;
    const keys = stateKeys(r.prefix);
    const meta = (runId: string) => ({ runId, committedAt: '2026-01-01T00:00:00.000Z', seen: 1, accepted: 1, rejected: 0, ranges: 1 });
    const entries = [{ cidr: '198.51.100.0/24', weight: 5 }];
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toBeNull();
    await stageWhitelist(client, keys, 'run-1~1', ['203.0.113.9', '2001:db8::1']);
    await stageWhitelist(client, keys, 'run-1~1', ['192.0.2.0/28']);
    await stageWhitelist(client, keys, 'run-1~1', []);
    expect(await readStagedWhitelist(client, keys, 'run-1~1')).toEqual(['203.0.113.9', '2001:db8::1', '192.0.2.0/28']);
    expect(await client.ttl(keys.whitelistStage('run-1~1'))).toBeGreaterThan(0);
    expect(await readStagedWhitelist(client, keys, 'run-9~1')).toEqual([]);
    await commitSnapshot(client, keys, 'tq', 'c1', entries, meta('run-1'), 0, 'run-1~1', ['192.0.2.0/28', '203.0.113.9/32', '2001:db8::1/128']);
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toEqual(['192.0.2.0/28', '203.0.113.9/32', '2001:db8::1/128']);
    expect(await client.exists(keys.whitelistStage('run-1~1'))).toBe(0);
    // A later attempt stages another whitelist but never commits: the committed one stays.
    await stageWhitelist(client, keys, 'run-2~1', ['8.8.8.8']);
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toEqual(['192.0.2.0/28', '203.0.113.9/32', '2001:db8::1/128']);
    // A commit without a whitelist (a file source) leaves it; an empty one commits as empty.
    await commitSnapshot(client, keys, 'tq', 'c1', entries, meta('run-3'), 0, 'run-3~1');
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toHaveLength(3);
    await commitSnapshot(client, keys, 'tq', 'c1', entries, meta('run-4'), 0, 'run-4~1', []);
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toEqual([]);
  });

  it('codec round-trips and ranks score before recency', () => {
    const entries = [{ cidr: '1.2.3.4/32', weight: priorityWeight(7, '2024-05-01T10:00:00.000Z') }, { cidr: '::1/128', weight: 0 }];
    expect(decodeRanges(encodeRanges(entries))).toEqual(entries);
    expect(decodeRanges('')).toEqual([]);
    expect(priorityWeight(5, '2020-01-01T00:00:00Z')).toBeGreaterThan(priorityWeight(4, '2026-01-01T00:00:00Z'));
    expect(priorityWeight(5, '2026-01-01T00:00:00Z')).toBeGreaterThan(priorityWeight(5, '2020-01-01T00:00:00Z'));
    expect(weightScore(priorityWeight(9, null))).toBe(9);
    expect(priorityWeight(null, 'garbage')).toBe(0);
  });
});

describe('target lock and owned ranges', () => {
  it('serialises holders, fences stale ones, and records owned ranges only while held', async () => {
    r = testRedis('lock');
    const { client } = r;
    const keys = stateKeys(r.prefix);
    const a = await acquireTargetLock(client, keys, 't1', { ttlMs: 300 });
    await expect(acquireTargetLock(client, keys, 't1', { ttlMs: 300 })).rejects.toBeInstanceOf(LockBusyError);
    await recordOwnedChange(client, keys, a, ['1.1.1.1/32', '2.2.2.0/24'], []);
    await recordOwnedChange(client, keys, a, ['3.3.3.3/32'], ['2.2.2.0/24']);
    expect([...(await readOwnedRanges(client, keys, 't1'))].sort()).toEqual(['1.1.1.1/32', '3.3.3.3/32']);
    await new Promise((res) => setTimeout(res, 400)); // a's lease expires
    const b = await acquireTargetLock(client, keys, 't1', { ttlMs: 5000 });
    expect(b.token).toBeGreaterThan(a.token);
    await expect(a.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    await expect(recordOwnedChange(client, keys, a, ['9.9.9.9/32'], [])).rejects.toBeInstanceOf(LockLostError);
    expect(await a.extend()).toBe(false);
    await a.release(); // must not release b's lock
    await b.assertHeld();
    await replaceOwnedRanges(client, keys, b, ['4.4.4.4/32']);
    expect([...(await readOwnedRanges(client, keys, 't1'))]).toEqual(['4.4.4.4/32']);
    await b.release();
    const c = await acquireTargetLock(client, keys, 't1', { waitMs: 1000 });
    await c.release();
  });
});
