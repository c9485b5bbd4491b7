/**
 * One reconcile per sync when several sources finish within `pipeline.reconcileWindow` (issue 15,
 * request economy; src/pipeline/producer.ts `enqueueReconcile`): commits for one target within the
 * window collapse into one debounced reconcile that covers every snapshot; the start moves with each
 * commit but never past `reconcileMaxWait`; a commit landing while the target's reconcile runs still
 * gets a later reconcile that sees it; `0s` reconciles after every commit as before. Real Redis, real
 * `tq-entra worker` processes and CLI commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { bullConnection, createQueues, type Queues } from '../../src/pipeline/queues.ts';
import { enqueueReconcile, reconcileDedupId } from '../../src/pipeline/producer.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { lastRunId, readRun, type RunRecord } from '../../src/pipeline/run-store.ts';
import { until } from '../helpers/until.ts';

let env: PipelineEnv | undefined;
let r: TestRedis | undefined;
let queues: Queues | undefined;
afterEach(async () => {
  await queues?.close();
  await r?.cleanup();
  await env?.close();
  env = undefined;
  r = undefined;
  queues = undefined;
});

const A = ['198.51.100.1', '198.51.100.2'];
const B = ['192.0.2.44', '203.0.113.9'];
const ALL = ['192.0.2.44/32', '198.51.100.1/32', '198.51.100.2/32', '203.0.113.9/32'];
const COLLECTION = 'shared';

const seed = (values: string[]) => ({
  indicators: values.map((value) => ({ value, type: 'IP Address', status: 'Active', score: 5 })),
  collections: { [COLLECTION]: {} },
});

/**
 * Sources a and b (ThreatQ emulators) feeding target corp; b answers its first collection page
 * `bLagMs` late, so b commits about that long after a (as the demo's two sources do).
 */
async function twoSources(window: string, bLagMs: number): Promise<PipelineEnv> {
  const e = await startPipelineEnv({
    threatq: [
      { name: 'a', options: { idOffset: 5, seed: seed(A) }, collections: [{ id: COLLECTION }] },
      { name: 'b', options: { idOffset: 60, seed: seed(B) }, collections: [{ id: COLLECTION }] },
    ],
    target: { safety: { allowReserved: true } },
    config: { pipeline: { reconcileWindow: window } },
  });
  if (bLagMs > 0) e.threatq['b']?.addFault({ match: { method: 'GET', path: '/api/indicators/query' }, delayMs: bLagMs });
  return e;
}

/** Every reconcile run of target corp, oldest first. */
async function reconcileRuns(e: PipelineEnv): Promise<RunRecord[]> {
  const keys = stateKeys(e.config.redis.prefix);
  const ids = await e.redis.client.zrange(keys.runIndex('target', 'corp'), '0', '-1');
  const runs = await Promise.all(ids.map((id) => readRun(e.redis.client, keys, id)));
  return runs.filter((x): x is RunRecord => x !== null);
}

async function collectRunId(e: PipelineEnv, source: 'a' | 'b'): Promise<string> {
  const id = await lastRunId(e.redis.client, stateKeys(e.config.redis.prefix), 'source', `${source}/${COLLECTION}`);
  if (id === null) throw new Error(`no run of source ${source}`);
  return id;
}

/** The runs whose snapshots a reconcile used (a feeder without a committed snapshot has no run id). */
function snapshotRunIds(run: RunRecord | undefined): string[] {
  const used = (run?.details?.['snapshots'] as { runId?: string }[] | undefined) ?? [];
  return used.flatMap((s) => (s.runId === undefined ? [] : [s.runId])).sort();
}

describe('reconcile window (end to end)', () => {
  it('two sources committing within the window: exactly one reconcile, covering both snapshots', async () => {
    env = await twoSources('3s', 1500);
    await env.startWorker();
    const sync = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(ALL);
    const runs = await reconcileRuns(env);
    expect(runs.map((x) => x.status)).toEqual(['succeeded']);
    expect(snapshotRunIds(runs[0])).toEqual([await collectRunId(env, 'a'), await collectRunId(env, 'b')].sort());
    // One location and one policy created: no write was spent on a reconcile of half the sources.
    expect(env.graph.requests({ kind: 'graph' }).filter((x) => x.method !== 'GET')).toHaveLength(2);
  });

  it('window 0s: one reconcile per commit, as before debouncing', async () => {
    env = await twoSources('0s', 1500);
    await env.startWorker();
    const sync = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(ALL);
    const runs = await reconcileRuns(env);
    expect(runs.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
    expect(snapshotRunIds(runs[1])).toEqual([await collectRunId(env, 'a'), await collectRunId(env, 'b')].sort());
  });

  it('a commit while the target reconciles leads to a second reconcile that sees it', async () => {
    env = await twoSources('1s', 0);
    // The first reconcile's listing of named locations takes 4 s: it is running when b commits.
    env.graph.addFaults([{ method: 'GET', path: '/namedLocations', delayMs: 4000, times: 1 }]);
    await env.startWorker();
    const first = await env.cli(['sync', '--source', 'a']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const e = env;
    await until('the reconcile of a to run', async () => (await reconcileRuns(e)).some((x) => x.status === 'running'));
    const second = await env.cli(['sync', '--source', 'b', '--wait']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const runs = await reconcileRuns(env);
    expect(runs.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
    const [runA, runB] = [await collectRunId(env, 'a'), await collectRunId(env, 'b')];
    expect(snapshotRunIds(runs[0])).toEqual([runA]);
    expect(snapshotRunIds(runs[1])).toEqual([runA, runB].sort());
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(ALL);
  });

  it('sync --wait is not settled by a failure from before its commit', async () => {
    // The first sync is refused (an empty feed); the second, with content, must wait for its own reconcile.
    env = await startPipelineEnv({ files: [{ name: 'a', lines: [] }], target: { safety: { allowReserved: true } }, config: { pipeline: { reconcileWindow: '2s' } } });
    await env.startWorker();
    const refused = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('ERR_SAFETY_EMPTY');
    env.writeFile('a', A);
    const ok = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['198.51.100.1/32', '198.51.100.2/32']);
  });
});

describe('reconcile window (producer)', () => {
  const req = (runId: string) => ({ target: 't1', manual: false, force: false, trigger: 'cli' as const, runIds: [runId] });

  async function dueAt(q: Queues, jobId: string, prefix: string, redis: TestRedis): Promise<number | undefined> {
    const score = await redis.client.zscore(`${prefix}:reconcile:delayed`, jobId);
    expect(await q.reconcile.getJobState(jobId)).toBe(score === null ? 'waiting' : 'delayed');
    return score === null ? undefined : Math.floor(Number(score) / 0x1000);
  }

  it('debounces: each commit moves the start to a window after itself, never past the max wait, and joins the job', async () => {
    r = testRedis('window');
    queues = createQueues(bullConnection(r.url), r.prefix);
    const debounce = { windowMs: 1000, maxWaitMs: 2000 };
    const t0 = Date.now();
    const id = await enqueueReconcile(queues, req('r1'), debounce);
    const created = (await queues.reconcile.getJob(id))?.timestamp ?? 0;
    expect(await dueAt(queues, id, r.prefix, r)).toBeGreaterThanOrEqual(t0 + 1000);

    await new Promise((res) => setTimeout(res, 600));
    const t1 = Date.now();
    expect(await enqueueReconcile(queues, req('r2'), debounce)).toBe(id);
    const moved = (await dueAt(queues, id, r.prefix, r)) ?? 0;
    expect(moved).toBeGreaterThanOrEqual(t1 + 1000);
    expect(moved).toBeLessThan(t1 + 1200);

    await new Promise((res) => setTimeout(res, 600));
    expect(await enqueueReconcile(queues, { ...req('r3'), manual: true }, debounce)).toBe(id);
    // A window after this commit would be past created + 2 s: the start stays at the bound.
    const bounded = (await dueAt(queues, id, r.prefix, r)) ?? 0;
    expect(bounded).toBeLessThanOrEqual(created + 2000 + 50);
    expect(bounded).toBeGreaterThanOrEqual(created + 2000 - 50);
    // One job for the three commits: it names their runs, and is manual as one of them was.
    const data = (await queues.reconcile.getJob(id))?.data;
    expect(data?.runIds).toEqual(['r1', 'r2', 'r3']);
    expect(data?.manual).toBe(true);
    expect(await queues.reconcile.getDeduplicationJobId(reconcileDedupId('t1'))).toBe(id);
  });

  it('window 0 (or no debounce): the reconcile waits for a worker at once', async () => {
    r = testRedis('window0');
    queues = createQueues(bullConnection(r.url), r.prefix);
    const id = await enqueueReconcile(queues, req('r1'), { windowMs: 0, maxWaitMs: 60_000 });
    expect(await dueAt(queues, id, r.prefix, r)).toBeUndefined();
    expect(await enqueueReconcile(queues, req('r2'))).toBe(id);
    expect(await dueAt(queues, id, r.prefix, r)).toBeUndefined();
  });
});
