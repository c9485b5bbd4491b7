/**
 * Invariant 4, other tenants go on: two targets on two tenants of one Graph emulator (at Graph's real
 * 1 request/s per tenant, targets paced at 1/s), two `worker` processes. Tenant A's reconcile meets a
 * 429 storm on its location (the only object of that tenant with that id, so tenant B never sees a
 * fault), which blocks tenant A for a streak of growing pauses. Tenant B's whole sync is started during
 * A's storm and finishes at its normal pace while A is still blocked; the reconcile queue is never
 * paused; then A converges, keeping the range an administrator had added by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { DEFAULT_APPS, DEFAULT_TENANT_ID } from '../../src/emulators/graph/graph-emulator.ts';
import { until } from '../helpers/until.ts';

const TENANT_B = '7a1b2c3d-0000-4000-8000-00000000000b';
const APP_B = { tenantId: TENANT_B, clientId: '9b8a7c6d-1111-4222-8333-444455556666', clientSecret: 'tenant-b-secret', roles: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'] };
const LOCATION_A_ID = '0a0a0a0a-1111-4222-8333-a0a0a0a0a0a0';
const HAND_ADDED = '203.0.113.200/32';
const STORM = 5;

let env: PipelineEnv | undefined;
afterEach(async () => {
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

describe('a throttled tenant does not hold up the others', () => {
  it("tenant B's sync completes at normal pace during tenant A's 429 storm; A converges afterwards", async () => {
    env = await startPipelineEnv({
      graph: { apps: [...DEFAULT_APPS, APP_B], throttle: { requestsPerSecond: 1 } },
      files: [
        { name: 'list-a', lines: ['45.10.1.7', '45.10.2.0/24'] },
        { name: 'list-b', lines: ['46.20.1.7', '46.20.3.0/24'] },
      ],
      target: { rateLimit: { requestsPerSecond: 1 } },
    });
    const e = env;
    addTenantB(e);
    // An administrator's location of tenant A's name, with a range of their own: A's reconcile PATCHes it.
    e.graph.seed({
      tenantId: DEFAULT_TENANT_ID,
      namedLocations: [{ id: LOCATION_A_ID, displayName: 'TQ Blocked', isTrusted: false, ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: HAND_ADDED }] }],
    });
    e.graph.addFaults([{ path: LOCATION_A_ID, status: 429, times: STORM }]);
    await Promise.all([e.startWorker(), e.startWorker()]);

    const rateLimited: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const ttl = Number(await e.redis.client.pttl(`${e.redis.prefix}:reconcile:limiter`));
        if (ttl > 0) rateLimited.push(ttl);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const log = () => e.graph.requests({ kind: 'graph' });
    const syncA = e.cli(['sync', '--target', 'corp', '--wait']);
    await until("tenant A's first 429", () => log().some((r) => r.tenantId === DEFAULT_TENANT_ID && r.status === 429));
    const bStarted = Date.now();
    const syncB = await e.cli(['sync', '--target', 'b', '--wait']);
    const bFinished = Date.now();
    expect(syncB.code, syncB.stdout + syncB.stderr).toBe(0);
    const blockedA = Number(await e.redis.client.get(`${e.redis.prefix}:graph:blocked:${DEFAULT_TENANT_ID}`));
    const pendingStorm = e.graph.pendingFaults().reduce((n, f) => n + f.remaining, 0);
    const syncAResult = await syncA;
    polling = false;
    await poller;
    expect(syncAResult.code, syncAResult.stdout + syncAResult.stderr).toBe(0);

    const all = log();
    const a = all.filter((r) => r.tenantId === DEFAULT_TENANT_ID);
    const b = all.filter((r) => r.tenantId === TENANT_B);
    const aPatched = a.find((r) => r.method === 'PATCH' && r.path.includes(LOCATION_A_ID) && r.status < 300);
    expect(a.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(STORM);
    // B finished while A was still blocked: A's location was written only after B's sync returned, and
    // at that moment A still had a tenant-wide pause (or a 429 of its storm) ahead of it.
    expect(aPatched, JSON.stringify(a)).toBeDefined();
    expect(aPatched?.at ?? 0).toBeGreaterThan(bFinished);
    expect(blockedA > bFinished || pendingStorm > 0, `blocked until ${blockedA}, B finished ${bFinished}, ${pendingStorm} storm 429s left`).toBe(true);
    // At normal pace: B's requests were about a second apart (none waited out one of A's pauses of
    // several seconds), and the reconcile queue was never paused for A.
    const gaps = b.slice(1).map((r, i) => r.at - (b[i]?.at ?? 0));
    expect(b.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps), JSON.stringify(b.map((r) => [r.at, r.method, r.status]))).toBeLessThan(3000);
    expect(bFinished - bStarted).toBeLessThan(25_000);
    expect(rateLimited).toEqual([]);

    const locationsB = e.graph.state(TENANT_B).namedLocations as { displayName: string; ipRanges: { cidrAddress: string }[] }[];
    expect(locationsB.map((l) => [l.displayName, l.ipRanges.map((r) => r.cidrAddress).sort()])).toEqual([['TQ Blocked B', ['46.20.1.7/32', '46.20.3.0/24']]]);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(['45.10.1.7/32', '45.10.2.0/24', HAND_ADDED]);
    expect(e.graph.state(DEFAULT_TENANT_ID).policies).toHaveLength(1);
    expect(e.graph.state(TENANT_B).policies).toHaveLength(1);
  }, 90_000);
});
