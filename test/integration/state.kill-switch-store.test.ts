/**
 * The kill switch store and the lock take-over on a real Redis (src/state/kill-switch-store.ts,
 * src/state/target-lock.ts): the record round-trips; a damaged record reads as engaged (`disabled`);
 * clearing is fenced by the lock's token; a take-over fences the previous holder.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LockBusyError } from '../../src/state/errors/lock-busy-error.ts';
import { LockLostError } from '../../src/state/errors/lock-lost-error.ts';
import { clearKillSwitch, readKillSwitch, recordKillSwitch } from '../../src/state/kill-switch-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { acquireTargetLock } from '../../src/state/target-lock.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis | undefined;
afterEach(async () => {
  await r?.cleanup();
  r = undefined;
});

describe('kill switch store', () => {
  it('records, reads, and clears only under the lock; a damaged record counts as engaged', async () => {
    r = testRedis('killswitch');
    const keys = stateKeys(r.prefix);
    expect(await readKillSwitch(r.client, keys, 'corp')).toBeUndefined();
    const ks = { state: 'enabledForReportingButNotEnforced' as const, by: 'alice', at: '2026-11-30T03:00:00.000Z', reason: 'INC-1' };
    await recordKillSwitch(r.client, keys, 'corp', ks);
    expect(await readKillSwitch(r.client, keys, 'corp')).toEqual(ks);

    const lock = await acquireTargetLock(r.client, keys, 'corp');
    await lock.release();
    await expect(clearKillSwitch(r.client, keys, lock)).rejects.toBeInstanceOf(LockLostError);
    expect(await readKillSwitch(r.client, keys, 'corp')).toEqual(ks);
    const held = await acquireTargetLock(r.client, keys, 'corp');
    await clearKillSwitch(r.client, keys, held);
    await held.release();
    expect(await readKillSwitch(r.client, keys, 'corp')).toBeUndefined();

    await r.client.set(keys.killSwitch('corp'), '{"state":"enabled"');
    expect(await readKillSwitch(r.client, keys, 'corp')).toMatchObject({ state: 'disabled', by: 'unknown' });
    await r.client.set(keys.killSwitch('corp'), JSON.stringify({ ...ks, state: 'enabled' }));
    expect((await readKillSwitch(r.client, keys, 'corp'))?.state).toBe('disabled');
  });

  it('takes a busy lock over only when asked, after the wait; the old holder is fenced off', async () => {
    r = testRedis('killswitch-lock');
    const keys = stateKeys(r.prefix);
    const holder = await acquireTargetLock(r.client, keys, 'corp', { ttlMs: 60_000 });
    await expect(acquireTargetLock(r.client, keys, 'corp', { waitMs: 100, pollMs: 20 })).rejects.toBeInstanceOf(LockBusyError);
    const started = Date.now();
    const taker = await acquireTargetLock(r.client, keys, 'corp', { waitMs: 200, pollMs: 20, takeOver: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(taker.tookOverFrom).toBe(String(holder.token));
    await expect(holder.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    await holder.release(); // touches only its own token
    await taker.assertHeld();
    await taker.release();
    expect(await r.client.exists(keys.lock('corp'))).toBe(0);
    const free = await acquireTargetLock(r.client, keys, 'corp', { takeOver: true });
    expect(free.tookOverFrom).toBeUndefined();
    await free.release();
  });
});
