/**
 * Invariant 2, nothing clobbered under concurrency, in the deployed topology: two `worker` processes
 * (each with its own Graph app registration of the one tenant, so the emulator's request log tells
 * their requests apart) reconcile the same target at once. Worker 1 is frozen (SIGSTOP) in the middle
 * of its reconcile, after it has read Entra and before it writes; while it is frozen a new snapshot is
 * committed and an administrator adds a range to the location by hand; worker 2 takes the stalled job
 * over, waits for the target lock's lease to run out and reconciles from the last committed snapshots.
 * Then worker 1 wakes up with its stale plan and must not write. The end state is the union of the last
 * committed snapshots plus the hand-added range, and no write of one reconcile falls inside the other's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { expectedRanges, rangesInEntra } from '../helpers/expected-ranges.ts';
import { DEFAULT_APPS, DEFAULT_TENANT_ID } from '../../src/emulators/graph/graph-emulator.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { until } from '../helpers/until.ts';

const W1 = DEFAULT_APPS[0]?.clientId ?? '';
const W2_APP = { tenantId: DEFAULT_TENANT_ID, clientId: 'f0e1d2c3-2222-4333-8444-555566667777', clientSecret: 'second-worker-secret', roles: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'] };
const HAND_ADDED = '203.0.113.200/32';
const A1 = ['45.10.1.7', '45.10.2.0/24'];
const A2 = ['45.10.1.7', '45.10.3.0/24', '45.10.4.9'];
const B1 = ['46.20.1.7'];
const B2 = ['46.20.1.7', '46.20.5.0/24'];

let env: PipelineEnv | undefined;
const procs: CliProcess[] = [];
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGCONT');
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await env?.close();
  env = undefined;
});

/** A copy of the configuration whose target signs in as the second worker's app. */
function secondWorkerConfig(e: PipelineEnv): string {
  const doc = parse(readFileSync(e.configPath, 'utf8')) as Record<string, any>;
  doc['targets'][0] = { ...doc['targets'][0], clientId: W2_APP.clientId, clientSecret: W2_APP.clientSecret };
  const path = `${e.dir}/worker-2.yaml`;
  writeFileSync(path, stringify(doc));
  return path;
}

type Loc = { id: string; displayName: string; ipRanges: { cidrAddress: string }[] };

describe('two workers reconcile one target at once', () => {
  it('a frozen worker wakes with a stale plan and writes nothing; the end state is the last snapshots plus the hand-added range', async () => {
    env = await startPipelineEnv({
      graph: { apps: [...DEFAULT_APPS, W2_APP] },
      files: [
        { name: 'list-a', lines: A1 },
        { name: 'list-b', lines: B1 },
      ],
    });
    const e = env;
    const keys = stateKeys(e.redis.prefix);
    const redisEnv = { REDIS_URL: e.redis.url };
    const worker1 = startCliProcess('worker-1', ['worker', '--config', e.configPath], redisEnv);
    procs.push(worker1);
    await worker1.waitFor('workers started');
    const first = await e.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(expectedRanges([...A1, ...B1]));

    // Worker 1 reconciles list-a's new snapshot; its policy listing is held up at Graph for 2 s, and
    // while that read is in flight the worker is frozen: it has read (part of) Entra, written nothing.
    e.graph.addFaults([{ method: 'GET', path: '/policies', delayMs: 2000, times: 1 }]);
    e.graph.clearRequests();
    e.writeFile('list-a', A2);
    const syncA = e.cli(['sync', '--source', 'list-a', '--wait']);
    await until("worker 1's read in flight", () => e.graph.pendingFaults().length === 0);
    worker1.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    const fenceBefore = Number(await e.redis.client.get(keys.fence('corp')));

    // Meanwhile: an administrator adds a range by hand, and list-b's new snapshot is committed.
    const [loc] = e.graph.state().namedLocations as Loc[];
    if (!loc) throw new Error('location missing');
    e.graph.seed({ namedLocations: [{ ...loc, ipRanges: [...loc.ipRanges, { '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: HAND_ADDED }] }] });
    e.writeFile('list-b', B2);
    const worker2 = startCliProcess('worker-2', ['worker', '--config', secondWorkerConfig(e)], redisEnv);
    procs.push(worker2);
    await worker2.waitFor('workers started');
    const syncB = await e.cli(['sync', '--source', 'list-b', '--wait']);
    expect(syncB.code, syncB.stdout + syncB.stderr).toBe(0);
    const resultA = await syncA;
    expect(resultA.code, resultA.stdout + resultA.stderr).toBe(0);
    const expected = [...expectedRanges([...A2, ...B2]), HAND_ADDED].sort();
    expect(rangesInEntra(e.graph, 'TQ Blocked').all.sort()).toEqual(expected);

    // Worker 1 wakes up: its plan (list-a's new snapshot over the Entra it read, without the
    // hand-added range and list-b's new ranges) must not be written.
    const ended = () => worker1.output().match(/reconcile (finished|did not complete)/g)?.length ?? 0;
    const endedBefore = ended();
    const resumedAt = Date.now();
    worker1.child.kill('SIGCONT');
    await until("worker 1's reconcile attempt ended", () => ended() > endedBefore, 20_000);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all.sort(), 'nothing clobbered').toEqual(expected);
    const log = e.graph.requests({ kind: 'graph' });
    const writes = log.filter((r) => r.method !== 'GET');
    const byW1 = log.filter((r) => r.clientId === W1);
    const byW2 = log.filter((r) => r.clientId === W2_APP.clientId);
    expect(byW1.map((r) => `${r.method} ${r.status}`), 'worker 1: the reads before the freeze, no write').toEqual(['GET 200', 'GET 200']);
    expect(byW1.every((r) => r.at < frozenAt)).toBe(true);
    expect(byW2.filter((r) => r.method !== 'GET').length).toBeGreaterThan(0);
    // The lock serialised them: worker 2's first request came after the lease of the frozen holder ran
    // out (a new fencing token), and every write is worker 2's.
    expect(Number(await e.redis.client.get(keys.fence('corp')))).toBeGreaterThan(fenceBefore);
    expect(writes.every((w) => w.clientId === W2_APP.clientId)).toBe(true);
    expect(Math.min(...byW2.map((r) => r.at))).toBeGreaterThan(Math.max(...byW1.map((r) => r.at)));
    expect(writes.every((w) => w.at < resumedAt)).toBe(true);
    const owned = await e.redis.client.smembers(keys.owned('corp'));
    expect(owned.sort()).toEqual(expectedRanges([...A2, ...B2]).sort());
    expect(worker1.output()).toContain('ERR_LOCK_LOST');
  }, 60_000);
});
