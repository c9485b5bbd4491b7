import { afterEach, describe, expect, it } from 'vitest';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { commitSnapshot, readSnapshot, readStagedTexts, readWhitelist, stageChunk, stagedRanges, stageWhitelist } from '../../src/state/snapshot-store.ts';
import { commitRun } from '../../src/pipeline/stages/collect/commit-run.ts';
import { quietLogger } from '../fixtures/reconcile/emulator-target.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let env: PipelineEnv | undefined;
let r: TestRedis | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  await r?.cleanup();
  r = undefined;
});

async function keysMatching(client: TestRedis['client'], pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...found);
  } while (cursor !== '0');
  return out;
}

describe('staging keys of a run', () => {
  it('are read in chunk order with MGET, decoded lazily, and dropped by a commit under their own stage id', async () => {
    r = testRedis('stage');
    const { client } = r;
    const keys = stateKeys(r.prefix);
    await stageChunk(client, keys, 'collect-9~2', 0, [{ cidr: '203.0.113.7/32', weight: 1 }]);
    await stageChunk(client, keys, 'collect-9~2', 2, [{ cidr: '2001:db8::/32', weight: 2 }, { cidr: '198.51.100.0/24', weight: 3 }]);
    const staged = await readStagedTexts(client, keys, 'collect-9~2', 3);
    expect(staged.missing).toEqual([1]);
    expect([...stagedRanges(staged.texts)].map((e) => e.cidr)).toEqual(['203.0.113.7/32', '2001:db8::/32', '198.51.100.0/24']);
    await stageChunk(client, keys, 'collect-9~2', 1, []);
    const meta = { runId: 'collect-9', committedAt: '2026-01-01T00:00:00.000Z', seen: 3, accepted: 3, rejected: 0, ranges: 3 };
    await commitSnapshot(client, keys, 'tq', 'c1', [...stagedRanges(staged.texts)], meta, 3, 'collect-9~2');
    expect((await readSnapshot(client, keys, 'tq', 'c1'))?.meta.runId).toBe('collect-9');
    expect(await keysMatching(client, keys.stagePattern('collect-9~2'))).toEqual([]);
  });

  it('are gone once a collect run through a worker has committed (none left to expire a day later)', async () => {
    env = await startPipelineEnv({ threatq: [{ name: 'tq', options: { generate: { count: 3000, seed: 3 } }, collections: [{ id: '6d4c1f0e2b9a8c7d' }] }] });
    const worker = await env.startWorker();
    const res = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(res.code, res.stdout + res.stderr + worker.output()).toBe(0);
    const left = await keysMatching(env.redis.client, `${env.redis.prefix}*:stage:*`);
    expect(left).toEqual([]);
  });
});

describe('the staged whitelist at commit', () => {
  it('a staged whitelist that lost entries fails the commit (ERR_STAGING_LOST) and keeps the committed snapshot and whitelist', async () => {
    r = testRedis('stage-wl');
    const { client } = r;
    const keys = stateKeys(r.prefix);
    const meta = { runId: 'collect-1', committedAt: '2026-01-01T00:00:00.000Z', seen: 1, accepted: 1, rejected: 0, ranges: 1 };
    await commitSnapshot(client, keys, 'tq', 'c1', [{ cidr: '203.0.113.7/32', weight: 1 }], meta, 0, 'collect-1~1', ['198.51.100.0/24', '192.0.2.1/32']);

    await stageChunk(client, keys, 'collect-2~1', 0, [{ cidr: '203.0.113.9/32', weight: 1 }]);
    await stageWhitelist(client, keys, 'collect-2~1', ['198.51.100.0/24']); // 2 were staged; one is gone
    const run = { runId: 'collect-2', settings: { source: 'tq', collection: 'c1', targets: [] }, source: { kind: 'threatq' }, record: {}, log: quietLogger };
    const data = { attempt: 1, chunks: 1, seen: 3, whitelisted: 2 };
    const deps = { redis: client, keys };
    await expect(commitRun({} as never, run as never, data as never, deps as never)).rejects.toMatchObject({ code: 'ERR_STAGING_LOST', message: expect.stringContaining('holds 1 of the 2 entries') });
    expect((await readSnapshot(client, keys, 'tq', 'c1'))?.entries.map((e) => e.cidr)).toEqual(['203.0.113.7/32']);
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toEqual(['198.51.100.0/24', '192.0.2.1/32']);

    // With every staged entry present the snapshot and the whitelist are replaced (what follows the
    // commit, the run record and reconciles, needs more than these stand-ins and is not looked at).
    await stageWhitelist(client, keys, 'collect-2~1', ['192.0.2.1/32']);
    await commitRun({} as never, run as never, data as never, deps as never).catch(() => undefined);
    expect((await readSnapshot(client, keys, 'tq', 'c1'))?.entries.map((e) => e.cidr)).toEqual(['203.0.113.9/32']);
    expect(await readWhitelist(client, keys, 'tq', 'c1')).toEqual(['192.0.2.1/32', '198.51.100.0/24']);
  });
});
