/**
 * The pin is read again under the target lock (issue #17 review): a reconcile that built its desired
 * set from the snapshots, then waited for the lock while a rollback pinned the target and released it,
 * follows the pin (desired built again) instead of undoing the rollback with what it read before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { writePin } from '../../src/state/pin-store.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';
import { acquireTargetLock } from '../../src/state/target-lock.ts';
import { harness, locationsIn, rangesOf, TARGET } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis } from '../helpers/redis.ts';
import { until } from '../helpers/until.ts';

let emu: GraphEmulator;
beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(async () => emu.close());

describe('reconcile: the pin under the lock', () => {
  it('a pin written while the reconcile waited for the lock decides its desired set', async () => {
    const r = testRedis('pin-under-lock');
    try {
      const h = harness(emu, r.client, r.prefix, {}, { sources: [{ name: 'feed', kind: 'file', path: '/feeds/a.txt', targets: [TARGET] }] });
      const meta = { runId: 'a1', committedAt: new Date().toISOString(), seen: 1, accepted: 1, rejected: 0, ranges: 1 };
      await commitSnapshot(r.client, h.keys, 'feed', '/feeds/a.txt', [{ cidr: '11.22.33.44/32', weight: 1 }], meta, 0);
      const holder = await acquireTargetLock(r.client, h.keys, TARGET, { ttlMs: 30_000 });
      const running = h.reconcile({ lockWaitMs: 20_000 });
      // The reconcile has built desired (no pin yet) and tries for the lock.
      await until('the reconcile waits for the lock', async () => Number(await r.client.get(h.keys.fence(TARGET))) > holder.token, 20_000);
      await writePin(r.client, h.keys, holder, { run: 'rb-1', at: new Date().toISOString(), by: 'alice', ranges: ['45.10.2.0/24'] });
      await holder.release();
      const result = await running;
      expect(result.desiredFrom).toBe('pinned');
      expect(result.pinned?.run).toBe('rb-1');
      expect(locationsIn(emu).flatMap(rangesOf)).toEqual(['45.10.2.0/24']);
    } finally {
      await r.cleanup();
    }
  }, 60_000);
});
