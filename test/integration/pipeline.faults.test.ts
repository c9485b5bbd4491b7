import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';
import { bullConnection, createQueues } from '../../src/pipeline/queues.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readSnapshotMeta } from '../../src/state/snapshot-store.ts';
import { paceKeys } from '../../src/graph/graph-pacer.ts';
import { DEFAULT_TENANT_ID } from '../../src/emulators/graph/graph-emulator.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const COLLECTION = '6d4c1f0e2b9a8c7d';

describe('pipeline under faults', () => {
  it('a Graph 429 storm: the run completes, the tenant pauses (not the queue), no Graph request is made during a pause', async () => {
    env = await startPipelineEnv({ threatq: [{ name: 'tq', options: { generate: { count: 3000, seed: 3 } }, collections: [{ id: COLLECTION }] }] });
    env.graph.addFaults([
      { path: '/namedLocations', status: 429, retryAfterSeconds: 1, times: 3 },
      { path: '/policies', status: 429, retryAfterSeconds: 1, times: 2 },
    ]);
    const connection = bullConnection(env.redis.url);
    const queues = createQueues(connection, env.config.redis.prefix);
    const blockedKey = paceKeys(env.config.redis.prefix, DEFAULT_TENANT_ID).blocked;
    let sawPause = false;
    let sawQueuePause = false;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        if (Number((await env?.redis.client.get(blockedKey)) ?? 0) > 0) sawPause = true;
        if ((await queues.reconcile.getRateLimitTtl()) > 0) sawQueuePause = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await env.startWorker();
      const r = await env.cli(['sync', '--target', 'corp', '--wait']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } finally {
      polling = false;
      await poller;
      await queues.close();
      connection.disconnect();
    }
    // The reconcile waited out the tenant's pause where it was; the queue (other tenants) never paused.
    expect(sawQueuePause).toBe(false);
    expect(sawPause).toBe(true);
    const log = env.graph.requests({ kind: 'graph' });
    const throttled = log.filter((e) => e.status === 429);
    expect(throttled).toHaveLength(5);
    for (const t of throttled) {
      const next = log.find((e) => e.seq > t.seq);
      expect(next, 'a request follows every 429').toBeDefined();
      // Retry-After: 1 → nobody in the cluster calls Graph for a second.
      expect((next?.at ?? 0) - t.at).toBeGreaterThanOrEqual(990);
    }
    const east = env.threatq['tq'];
    if (!east) throw new Error('unreachable');
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(expectedRanges(qualifyingValues(east, COLLECTION), { whitelist: whitelistValues(east, COLLECTION) }));
  });

  it('a run whose source fails half-way leaves the last good snapshot and Entra untouched', async () => {
    env = await startPipelineEnv({ threatq: [{ name: 'tq', options: { generate: { count: 2000, seed: 4 } }, collections: [{ id: COLLECTION }] }] });
    await env.startWorker();
    const first = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const keys = stateKeys(env.config.redis.prefix);
    const before = await readSnapshotMeta(env.redis.client, keys, 'tq', COLLECTION);
    const entraBefore = env.graph.state();
    const writesBefore = env.graph.requests({ kind: 'graph' }).filter((e) => e.method !== 'GET').length;

    const tq = env.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    // Change the data so a completed run would change Entra, then fail the third page on.
    for (const r of [...tq.indicators(COLLECTION)].slice(0, 50)) tq.mutate(r.id, { status: 'Expired' });
    tq.addFault({ match: { path: '/api/indicators/query/hash/' }, delayMs: 1, times: 2 });
    tq.addFault({ match: { path: '/api/indicators/query/hash/' }, status: 404, times: 1000 });
    const second = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/FAILED\s+collect/);
    expect(second.stdout).toContain('ERR_THREATQ_NOT_FOUND');

    expect(await readSnapshotMeta(env.redis.client, keys, 'tq', COLLECTION)).toEqual(before);
    expect(env.graph.state()).toEqual(entraBefore);
    expect(env.graph.requests({ kind: 'graph' }).filter((e) => e.method !== 'GET').length).toBe(writesBefore);
    const report = await env.cli(['report', '--target', 'corp']);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/collect tq \/ 6d4c1f0e2b9a8c7d\s+run collect-\d{8}T\d{6}Z-[0-9a-f]{8}\s+failed/);
  });

  it('a manual run with clearOnManualRun removes hand-added ranges; a scheduled-style run keeps them', async () => {
    env = await startPipelineEnv({
      files: [{ name: 'list', lines: ['198.51.100.10', '198.51.100.11'] }],
      target: { namedLocation: { name: 'TQ Blocked', clearOnManualRun: true }, safety: { allowReserved: true } },
    });
    await env.startWorker();
    const first = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // An administrator adds a range by hand.
    const loc = (env.graph.state().namedLocations as { id: string; displayName: string; ipRanges: { cidrAddress: string }[] }[]).find((l) => l.displayName === 'TQ Blocked');
    if (!loc) throw new Error('location missing');
    env.graph.seed({ namedLocations: [{ ...loc, ipRanges: [...loc.ipRanges, { '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.200/32' }] }] });
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toContain('203.0.113.200/32');
    const mirror = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(mirror.code, mirror.stdout + mirror.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toContain('203.0.113.200/32');
    const manual = await env.cli(['sync', '--target', 'corp', '--manual', '--wait']);
    expect(manual.code, manual.stdout + manual.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['198.51.100.10/31']);
  });
});
