/**
 * The target lock's lease: short, renewed while the reconcile runs (so a slow reconcile keeps it),
 * and released at the end; a lease left by a dead holder frees the target within one TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { acquireTargetLock } from '../../src/state/target-lock.ts';
import { harness, hostRanges, TARGET } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(async () => emu.close());

describe('reconcile lock lease', () => {
  it('is renewed while a reconcile outlives its TTL, and released at the end', async () => {
    const r = testRedis('lease');
    try {
      const h = harness(emu, r.client, r.prefix);
      // Every named-location request takes 700 ms (a first sync of one location makes two: the listing
      // and the POST): the reconcile lasts well beyond the 600 ms lease.
      emu.addFaults([{ path: '/namedLocations', delayMs: 700, times: 20 }]);
      const lockKey = h.keys.lock(TARGET);
      let missing = 0;
      let seen = 0;
      let done = false;
      const watch = (async () => {
        while (!done) {
          const ttl = await r.client.pttl(lockKey);
          if (ttl > 0) seen += 1;
          else if (seen > 0) missing += 1;
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      const started = Date.now();
      const result = await h.reconcile({ desired: hostRanges(10), lockTtlMs: 600 });
      const elapsed = Date.now() - started;
      done = true;
      await watch;
      expect(result.applied?.graphWrites).toBeGreaterThan(0);
      expect(elapsed).toBeGreaterThan(1200);
      expect(seen).toBeGreaterThan(10);
      // Released at the end: the only "missing" samples come after completion.
      expect(missing).toBeLessThanOrEqual(1);
      expect(await r.client.exists(lockKey)).toBe(0);
    } finally {
      await r.cleanup();
    }
  });

  it('a lease left by a dead holder frees the target within one TTL', async () => {
    emu.reset();
    emu.configure({ throttle: { requestsPerSecond: 0 } });
    const r = testRedis('lease-dead');
    try {
      const h = harness(emu, r.client, r.prefix);
      await acquireTargetLock(r.client, h.keys, TARGET, { ttlMs: 800 }); // never renewed, never released
      const started = Date.now();
      const result = await h.reconcile({ desired: hostRanges(3), lockWaitMs: 5000 });
      expect(Date.now() - started).toBeLessThan(4000);
      expect(result.applied?.steps.length).toBeGreaterThan(0);
    } finally {
      await r.cleanup();
    }
  });
});
