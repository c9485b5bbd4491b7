/**
 * The per-tenant 429 streak (graph-pacer.ts), kept in Redis and shared by every process: each 429 in
 * a row grows the tenant-wide pause (at least 1 s, doubling with jitter, capped at 60 s), a success
 * resets it; pacing and the streak are keyed on the token's tenant id, whatever the configured
 * tenantId says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { checkPace, createGraphClient } from '../../src/graph/graph-client.ts';
import { createGraphPacer, paceKeys, THROTTLE_BACKOFF } from '../../src/graph/graph-pacer.ts';
import { metricKeys } from '../../src/observability/metrics-keys.ts';
import { harness, quietLogger } from '../fixtures/reconcile/emulator-target.ts';
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
  r = testRedis('graph-streak');
  return async () => {
    await r.cleanup();
  };
});

describe('429 streak', () => {
  it('grows the pause from at least 1 s towards the cap over a streak, shared by two pacers, and resets', async () => {
    const a = createGraphPacer(r.client, r.prefix, 'T1', 50);
    const b = createGraphPacer(r.client, r.prefix, 't1', 50);
    const pauses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const p = await (i % 2 === 0 ? a : b).recordThrottle();
      expect(p.streak).toBe(i + 1);
      pauses.push(p.pauseMs);
      await r.client.del(paceKeys(r.prefix, 't1').blocked);
    }
    expect(Math.min(...pauses)).toBeGreaterThanOrEqual(THROTTLE_BACKOFF.minMs);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(THROTTLE_BACKOFF.capMs);
    // Equal jitter: the 7th 429 in a row waits at least half of 64 s capped at 60 s.
    expect(pauses[6]).toBeGreaterThanOrEqual(30_000);
    expect(pauses[2]).toBeGreaterThanOrEqual(2000);
    expect(await b.throttleStreak()).toBe(8);
    await a.resetThrottleStreak();
    expect(await b.throttleStreak()).toBe(0);
    expect((await a.recordThrottle()).pauseMs).toBeLessThan(2000);
  });

  it('a client sees 429s grow the tenant-wide block, keyed on the token tid, and a success resets the streak', async () => {
    const h = harness(emu, r.client, r.prefix);
    const client = createGraphClient(h.target, { redis: r.client, prefix: r.prefix, onThrottle: 'throw', logger: quietLogger });
    const tid = await client.tokenTenantId();
    const keys = paceKeys(r.prefix, tid);
    emu.addFaults([{ method: 'GET', status: 429, times: 2 }]);
    const e1 = (await client.listPolicies().catch((e: unknown) => e)) as { code: string; retryAfterMs: number };
    expect(e1.code).toBe('ERR_GRAPH_THROTTLED');
    expect(e1.retryAfterMs).toBeGreaterThanOrEqual(1000);
    await r.client.del(keys.blocked);
    const e2 = (await client.listPolicies().catch((e: unknown) => e)) as { code: string; retryAfterMs: number };
    expect(e2.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(Number(await r.client.get(keys.streak))).toBe(2);
    expect(await r.client.hget(metricKeys(r.prefix).throttleStreak, tid.toLowerCase())).toBe('2');
    await r.client.del(keys.blocked);
    await client.listPolicies();
    expect(await r.client.exists(keys.streak)).toBe(0);
    expect(await r.client.hget(metricKeys(r.prefix).throttleStreak, tid.toLowerCase())).toBe('0');
  });

  it('above 1 request/s against a Microsoft cloud only with the explicit opt-in (rateLimit.allowAboveMicrosoftLimit)', () => {
    const t = {
      name: 'prod',
      cloud: { graphBaseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com' },
      rateLimit: { requestsPerSecond: 5, allowAboveMicrosoftLimit: false },
    };
    expect(() => checkPace(t)).toThrow(/ERR_GRAPH_PACE_NOT_ALLOWED|Microsoft cloud/);
    expect(() => checkPace(t)).toThrow(/rateLimit\.allowAboveMicrosoftLimit/);
    expect(() => checkPace({ ...t, rateLimit: { requestsPerSecond: 5, allowAboveMicrosoftLimit: true } })).not.toThrow();
    expect(() => checkPace({ ...t, rateLimit: { requestsPerSecond: 1, allowAboveMicrosoftLimit: false } })).not.toThrow();
    expect(() => checkPace({ ...t, cloud: { ...t.cloud, graphBaseUrl: 'https://127.0.0.1:8443' } })).not.toThrow();
  });
});
