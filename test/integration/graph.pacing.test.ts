/**
 * Tenant-wide pacing and 429 handling over real HTTPS and a real Redis. The emulator throttles at
 * Graph's real 1 request/s per tenant here, so the request log's arrival times show whether the
 * client ever beats the pacing.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { GraphThrottledError } from '../../src/graph/errors/graph-throttled-error.ts';
import { createGraphPacer, paceKeys } from '../../src/graph/graph-pacer.ts';
import { emulatorClient, graphLog } from '../fixtures/graph/graph-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let r: TestRedis;
let second: Redis;

beforeAll(async () => {
  emu = await startGraphEmulator();
  r = testRedis('graph-pacing');
  second = new Redis(r.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await emu.close();
  second.disconnect();
  await r.cleanup();
});
beforeEach(() => emu.reset());

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

describe('pacing at 1 request per second per tenant', () => {
  it('two clients on separate Redis connections share the pace and never draw a throttle 429', async () => {
    const prefix = `${r.prefix}:shared`;
    const a = emulatorClient(emu, r.client, prefix, { requestsPerSecond: 1 });
    const b = emulatorClient(emu, second, prefix, { requestsPerSecond: 1 });
    // Warm up (token, TLS connection) so that only pacing decides the arrival times below.
    await a.listPolicies();
    await b.listPolicies();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    emu.clearRequests();
    await Promise.all([a.listNamedLocations(), b.listPolicies(), a.listPolicies(), b.listNamedLocations()]);
    const log = graphLog(emu);
    expect(log.map((e) => e.status)).toEqual([200, 200, 200, 200]);
    for (const g of gaps(log.map((e) => e.at))) expect(g).toBeGreaterThanOrEqual(995);
  });

  it('a 429 storm completes, records a tenant-wide pause, and never beats the pacing', async () => {
    emu.addFaults([{ status: 429, times: 4 }]);
    const client = emulatorClient(emu, r.client, `${r.prefix}:storm`, { requestsPerSecond: 1 });
    const list = await client.listNamedLocations();
    expect(list).toEqual([]);
    const log = graphLog(emu);
    expect(log.map((e) => e.status)).toEqual([429, 429, 429, 429, 200]);
    for (const g of gaps(log.map((e) => e.at))) expect(g).toBeGreaterThanOrEqual(995);
    expect(client.stats.throttled).toBe(4);
    expect(client.stats.byMethodStatus).toMatchObject({ 'GET 429': 4, 'GET 200': 1 });
  });

  it('a request that left late moves the next slot to one interval after it left, never earlier', async () => {
    const pacer = createGraphPacer(r.client, `${r.prefix}:late`, 'T-late', 1);
    // No slot taken yet, but a request just left (its slot long past, held up by a TLS handshake or a
    // busy event loop): the next one waits a whole interval from now, not from the old slot.
    await pacer.markSent(0);
    const next = await pacer.tryAcquire();
    expect(next.granted).toBe(true);
    const wait = next.granted ? next.waitMs : 0;
    expect(wait).toBeGreaterThan(pacer.intervalMs - 100);
    expect(wait).toBeLessThanOrEqual(pacer.intervalMs);
    // A request that left long ago never moves a slot already handed out back.
    await pacer.markSent(60_000);
    const after = await pacer.tryAcquire();
    expect(after.granted && after.waitMs).toBeGreaterThan(wait + pacer.intervalMs - 100);
  });

  it('the emulator itself refuses a second request within the second, without Retry-After', async () => {
    // Backoff of at least a second: the emulator counts throttled requests, so faster retries never get in.
    const client = emulatorClient(emu, r.client, `${r.prefix}:fast`, {
      requestsPerSecond: 50,
      retryPolicy: { baseDelayMs: 1100, minDelayMs: 1050, maxDelayMs: 1100, maxAttempts: 5 },
    });
    // The client paces at 50/s, faster than the tenant allows: the emulator throttles, the client waits it out.
    await Promise.all([client.listNamedLocations(), client.listPolicies()]);
    const log = graphLog(emu);
    expect(log.some((e) => e.status === 429)).toBe(true);
    expect(log.filter((e) => e.status === 200)).toHaveLength(2);
    const admitted = log.filter((e) => e.status === 200).map((e) => e.at);
    for (const g of gaps(admitted)) expect(g).toBeGreaterThanOrEqual(995);
  });
});

describe("onThrottle: 'throw'", () => {
  it('surfaces a 429 as GraphThrottledError with the wait, and other processes honour the pause', async () => {
    emu.configure({ throttle: { requestsPerSecond: 0 } });
    emu.addFaults([{ status: 429, retryAfterSeconds: 7 }]);
    const prefix = `${r.prefix}:throw`;
    const worker = emulatorClient(emu, r.client, prefix, { onThrottle: 'throw' });
    const err = await worker.listPolicies().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphThrottledError);
    expect(err).toMatchObject({ code: 'ERR_GRAPH_THROTTLED', retryAfterMs: 7000 });
    const blockedUntil = Number(await r.client.get(paceKeys(prefix, emu.tenants()[0]!).blocked));
    expect(blockedUntil).toBeGreaterThan(Date.now() + 5000);

    // Another worker process: refuses at once, without sending anything.
    const other = emulatorClient(emu, second, prefix, { onThrottle: 'throw' });
    const before = graphLog(emu).length;
    const err2 = await other.listNamedLocations().catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(GraphThrottledError);
    expect((err2 as GraphThrottledError).retryAfterMs).toBeGreaterThan(5000);
    expect(graphLog(emu)).toHaveLength(before);
  });

  it("a waiting client honours Retry-After when Graph sends one", async () => {
    emu.configure({ throttle: { requestsPerSecond: 0 } });
    emu.addFaults([{ status: 429, retryAfterSeconds: 2 }]);
    const client = emulatorClient(emu, r.client, `${r.prefix}:ra`, { requestsPerSecond: 20 });
    await client.listPolicies();
    const [first, retry] = graphLog(emu);
    expect(first?.status).toBe(429);
    expect(retry?.status).toBe(200);
    expect((retry?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1990);
    expect(client.stats.throttledMs).toBeGreaterThan(1500);
  });
});
