/**
 * Invariant 4, other tenants go on: two targets on two tenants of one Graph emulator (at Graph's real
 * 1 request/s per tenant, targets paced at 1/s), two `worker` processes. Tenant A's reconcile meets a
 * 429 storm on the PATCH of its location (the only object of that tenant with that id, so tenant B
 * never sees a fault) as long as all the request's attempts: the tenant's shared streak grows the
 * pause at each 429, and after the last attempt the GraphThrottledError reaches the worker, which
 * delays A's job alone for the tenant's block (attempts kept). Tenant B's whole sync is started once
 * A's job is delayed and finishes at its normal pace while A's job is still delayed; the reconcile
 * queue is never rate-limited; then A's job runs again and converges, keeping the range an
 * administrator had added by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { DEFAULT_APPS, DEFAULT_TENANT_ID } from '../../src/emulators/graph/graph-emulator.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/http/retry-policy.ts';
import { encodeField, metricKeys } from '../../src/observability/metrics-keys.ts';
import { bullConnection, createQueues, type Queues, type ReconcileJobData } from '../../src/pipeline/queues.ts';
import { until } from '../helpers/until.ts';

const TENANT_B = '7a1b2c3d-0000-4000-8000-00000000000b';
const APP_B = { tenantId: TENANT_B, clientId: '9b8a7c6d-1111-4222-8333-444455556666', clientSecret: 'tenant-b-secret', roles: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'] };
const LOCATION_A_ID = '0a0a0a0a-1111-4222-8333-a0a0a0a0a0a0';
const HAND_ADDED = '203.0.113.200/32';
/** Every attempt of A's PATCH is throttled: the request gives up and the error reaches the worker. */
const STORM = DEFAULT_RETRY_POLICY.maxAttempts;

let env: PipelineEnv | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await env?.close();
  env = undefined;
});

/** Target `corp` (tenant A, fed by list-a) and target `b` (tenant B, fed by list-b). */
function addTenantB(e: PipelineEnv): void {
  const doc = parse(readFileSync(e.configPath, 'utf8')) as Record<string, any>;
  const corp = doc['targets'][0];
  doc['targets'].push({ ...corp, name: 'b', tenantId: TENANT_B, clientId: APP_B.clientId, clientSecret: APP_B.clientSecret, namedLocation: { name: 'TQ Blocked B' }, policy: { name: 'TQ Block B' } });
  doc['sources'][1].targets = ['b'];
  writeFileSync(e.configPath, stringify(doc));
}

function openQueues(e: PipelineEnv): Queues {
  const connection = bullConnection(e.redis.url);
  const queues = createQueues(connection, e.config.redis.prefix);
  closers.push(async () => {
    await queues.close();
    connection.disconnect();
  });
  return queues;
}

/** Every reconcile-queue rate-limit TTL seen while it runs (polled every 50 ms); none is expected. */
function watchRateLimit(queues: Queues): { stop: () => Promise<number[]> } {
  const seen: number[] = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const ttl = await queues.reconcile.getRateLimitTtl();
      if (ttl > 0) seen.push(ttl);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { stop: async () => ((polling = false), await loop, seen) };
}

/** Tenant A's reconcile job once it is back in the delayed set after having started. */
async function delayedAfterStart(queues: Queues, target: string): Promise<Job<ReconcileJobData> | undefined> {
  const delayed = await queues.reconcile.getJobs(['delayed']);
  return delayed.find((j) => j.data.target === target && j.attemptsStarted >= 1);
}

describe('a throttled tenant does not hold up the others', () => {
  it("tenant A's job is delayed after a request throttled through every attempt; B syncs at normal pace meanwhile; the queue is never rate-limited", async () => {
    env = await startPipelineEnv({
      graph: { apps: [...DEFAULT_APPS, APP_B], throttle: { requestsPerSecond: 1 } },
      files: [
        { name: 'list-a', lines: ['45.10.1.7', '45.10.2.0/24'] },
        { name: 'list-b', lines: ['46.20.1.7', '46.20.3.0/24'] },
      ],
      target: { rateLimit: { requestsPerSecond: 1 } },
      config: { pipeline: { reconcileWindow: '0s' } },
    });
    const e = env;
    addTenantB(e);
    // An administrator's location of tenant A's name, with a range of their own: A's reconcile PATCHes it.
    e.graph.seed({
      tenantId: DEFAULT_TENANT_ID,
      namedLocations: [{ id: LOCATION_A_ID, displayName: 'TQ Blocked', isTrusted: false, ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: HAND_ADDED }] }],
    });
    e.graph.addFaults([{ method: 'PATCH', path: LOCATION_A_ID, status: 429, times: STORM }]);
    await Promise.all([e.startWorker(), e.startWorker()]);
    const queues = openQueues(e);
    const rateLimit = watchRateLimit(queues);

    const log = () => e.graph.requests({ kind: 'graph' });
    const syncA = e.cli(['sync', '--target', 'corp', '--wait']);
    // A's PATCH is throttled through all its attempts (the streak's pauses add up to 16–31 s), then
    // its job is delayed for the tenant's block (16–32 s after the 6th 429 in a row).
    let delayedA: Job<ReconcileJobData> | undefined;
    await until("tenant A's reconcile job delayed after a request throttled through every attempt", async () => (delayedA = await delayedAfterStart(queues, 'corp')) !== undefined, 60_000, 100);
    expect(e.graph.pendingFaults()).toEqual([]);
    const bStarted = Date.now();
    const syncB = await e.cli(['sync', '--target', 'b', '--wait']);
    const bFinished = Date.now();
    expect(syncB.code, syncB.stdout + syncB.stderr).toBe(0);
    // B's whole sync ran while A's job was still waiting out its delay.
    const stateAtBFinished = await delayedA?.getState();
    const syncAResult = await syncA;
    const queueRateLimits = await rateLimit.stop();
    expect(syncAResult.code, syncAResult.stdout + syncAResult.stderr).toBe(0);
    expect(stateAtBFinished).toBe('delayed');

    const all = log();
    const a = all.filter((r) => r.tenantId === DEFAULT_TENANT_ID);
    const b = all.filter((r) => r.tenantId === TENANT_B);
    expect(a.filter((r) => r.method === 'PATCH' && r.status === 429)).toHaveLength(STORM);
    const aPatched = a.find((r) => r.method === 'PATCH' && r.path.includes(LOCATION_A_ID) && r.status < 300);
    expect(aPatched?.at ?? 0, JSON.stringify(a)).toBeGreaterThan(bFinished);
    // At normal pace: B's requests were about a second apart (none waited out one of A's pauses of
    // several seconds), and the reconcile queue was never rate-limited for A.
    const gaps = b.slice(1).map((r, i) => r.at - (b[i]?.at ?? 0));
    expect(b.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps), JSON.stringify(b.map((r) => [r.at, r.method, r.status]))).toBeLessThan(3000);
    expect(bFinished - bStarted).toBeLessThan(25_000);
    expect(queueRateLimits).toEqual([]);

    // A's job ran again after its delay and completed with the attempt it had: the delay used none.
    const doneA = await queues.reconcile.getJob(delayedA?.id ?? '');
    expect(await doneA?.getState()).toBe('completed');
    expect(doneA?.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(doneA?.attemptsMade).toBe(1);
    const metrics = metricKeys(e.config.redis.prefix).throttleDelays;
    expect(await e.redis.client.hget(metrics, encodeField(['corp', 'count']))).toBe('1');
    expect(await e.redis.client.hget(metrics, encodeField(['b', 'count']))).toBeNull();

    const locationsB = e.graph.state(TENANT_B).namedLocations as { displayName: string; ipRanges: { cidrAddress: string }[] }[];
    expect(locationsB.map((l) => [l.displayName, l.ipRanges.map((r) => r.cidrAddress).sort()])).toEqual([['TQ Blocked B', ['46.20.1.7/32', '46.20.3.0/24']]]);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(['45.10.1.7/32', '45.10.2.0/24', HAND_ADDED]);
    expect(e.graph.state(DEFAULT_TENANT_ID).policies).toHaveLength(1);
    expect(e.graph.state(TENANT_B).policies).toHaveLength(1);
  }, 150_000);
});
