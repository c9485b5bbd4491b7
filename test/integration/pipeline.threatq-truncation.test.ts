/**
 * Issue 13, finding 1, end to end: ThreatQ answering every page from some point on with HTTP 200 and
 * `"data": []` while `total` still counts every indicator. The run must fail (ERR_THREATQ_INCOMPLETE,
 * after the client's re-requests and the collect job's own retries), keep the last committed snapshot,
 * and leave Entra exactly as it was; once ThreatQ answers whole pages again, a run converges.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { lastRunId, readRun } from '../../src/pipeline/run-store.ts';
import { readSnapshotMeta } from '../../src/state/snapshot-store.ts';
import { DEFAULT_PAGE_RETRY_POLICY } from '../../src/threatq/threatq-client.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const COLLECTION = '6d4c1f0e2b9a8c7d';
const COUNT = 3000; // 6 pages of 500 (the default pageSize)
const FROM = 2000; // pages 5 and 6 come back empty: a third of the collection

describe('pipeline: a truncated ThreatQ collection', () => {
  // The collect job makes 3 attempts with 10 s and 20 s of backoff between them.
  it('fails the run with ERR_THREATQ_INCOMPLETE, keeps the last snapshot and leaves Entra unchanged; converges once healed', { timeout: 240_000 }, async () => {
    env = await startPipelineEnv({ threatq: [{ name: 'tq', options: { generate: { count: COUNT, seed: 13 } }, collections: [{ id: COLLECTION }] }] });
    const tq = env.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    await env.startWorker();
    const first = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const full = expectedRanges(qualifyingValues(tq, COLLECTION), { whitelist: whitelistValues(tq, COLLECTION) });
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(full);

    const keys = stateKeys(env.config.redis.prefix);
    const snapshotBefore = await readSnapshotMeta(env.redis.client, keys, 'tq', COLLECTION);
    expect(snapshotBefore).not.toBeNull();
    const entraBefore = env.graph.state();
    const writesBefore = env.graph.requests({ kind: 'graph' }).filter((e) => e.method !== 'GET').length;

    // Persistent: every page from index 2000 on is `data: []` with total 3000, however often asked.
    tq.addFault({ match: { path: `/api/indicators/query/hash/${COLLECTION}` }, page: { kind: 'emptyArray', fromIndex: FROM }, times: 1_000_000 });
    const second = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(second.code, second.stdout + second.stderr).toBe(1);
    expect(second.stdout).toMatch(/FAILED\s+collect/);
    expect(second.stdout).toContain(`received ${FROM} of the ${COUNT} indicators`);

    const runId = await lastRunId(env.redis.client, keys, 'source', `tq/${COLLECTION}`);
    const run = runId === null ? null : await readRun(env.redis.client, keys, runId);
    expect(run).toMatchObject({ status: 'failed', error: { code: 'ERR_THREATQ_INCOMPLETE' } });
    expect(run?.error?.message).toContain(`collection ${COLLECTION} on tq: incomplete read: received ${FROM} of the ${COUNT} indicators`);

    // The damaged page was asked for again within each attempt, and each attempt stopped there.
    const damaged = tq.requests().filter((r) => r.fault);
    expect(damaged.length).toBeGreaterThanOrEqual(DEFAULT_PAGE_RETRY_POLICY.maxAttempts);
    expect(damaged.length % DEFAULT_PAGE_RETRY_POLICY.maxAttempts).toBe(0);

    expect(await readSnapshotMeta(env.redis.client, keys, 'tq', COLLECTION)).toEqual(snapshotBefore);
    expect(env.graph.state()).toEqual(entraBefore);
    expect(env.graph.requests({ kind: 'graph' }).filter((e) => e.method !== 'GET').length).toBe(writesBefore);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(full);

    // ThreatQ answers whole pages again: the next run commits and Entra still holds every range.
    tq.context.faults.length = 0;
    const third = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(third.code, third.stdout + third.stderr).toBe(0);
    const snapshotAfter = await readSnapshotMeta(env.redis.client, keys, 'tq', COLLECTION);
    expect(snapshotAfter?.seen).toBe(COUNT);
    expect(snapshotAfter?.runId).not.toBe(snapshotBefore?.runId);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(full);
  });
});
