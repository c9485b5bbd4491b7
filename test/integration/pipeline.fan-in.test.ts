import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { redisVariants } from '../helpers/redis.ts';
import { createQueues, bullConnection } from '../../src/pipeline/queues.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { lastRunId, readRun } from '../../src/pipeline/run-store.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const seed = (values: string[]) => ({
  indicators: values.map((value) => ({ value, type: value.includes(':') ? 'IPv6 Address' : value.includes('/') ? 'CIDR Block' : 'IP Address', status: 'Active', score: 5 })),
  collections: { shared: {} },
});

// The fan-in rule on the suite's single Redis and on its Redis Cluster (test/helpers/redis.ts).
describe.each(redisVariants())('fan-in on %s', (_label, redis) => {
  it.skipIf(!redis)('an indicator leaves the block list only when no source still has it', { timeout: 120_000 }, async () => {
    env = await startPipelineEnv({
      redis,
      threatq: [
        { name: 'tq-a', options: { idOffset: 5, seed: seed(['198.51.100.1', '198.51.100.2', '203.0.113.9']) }, collections: [{ id: 'shared' }] },
        { name: 'tq-b', options: { idOffset: 60, seed: seed(['198.51.100.2', '192.0.2.44']) }, collections: [{ id: 'shared' }] },
      ],
      target: { safety: { allowReserved: true, maxRemovalFraction: 1 } },
    });
    await env.startWorker();
    // --timeout under the test's own: a stuck run ends the CLI with which job it waited for (in the message).
    const first = await env.cli(['sync', '--target', 'corp', '--wait', '--timeout', '50s']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['192.0.2.44/32', '198.51.100.1/32', '198.51.100.2/32', '203.0.113.9/32']);

    // 198.51.100.2 expires on tq-a but tq-b still has it; 198.51.100.1 expires on tq-a, the only source.
    const a = env.threatq['tq-a'];
    if (!a) throw new Error('unreachable');
    const ids = Object.fromEntries([...a.indicators('shared')].map((r) => [r.value, r.id]));
    a.mutate(ids['198.51.100.2'] ?? -1, { status: 'Expired' });
    a.mutate(ids['198.51.100.1'] ?? -1, { status: 'Expired' });
    const second = await env.cli(['sync', '--source', 'tq-a', '--wait', '--timeout', '50s']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['192.0.2.44/32', '198.51.100.2/32', '203.0.113.9/32']);
  });
});

describe('fan-in', () => {
  it('objectsPerRun 1000 with 25,000 indicators makes 25 ingest jobs', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 25_000; i += 1) lines.push(`${11 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);
    env = await startPipelineEnv({ files: [{ name: 'big', lines }], target: { objectsPerRun: 1000 } });
    const keys = stateKeys(env.config.redis.prefix);
    const connection = bullConnection(env.config.redis);
    const queues = createQueues(connection, env.config.redis.prefix);
    const added: string[] = [];
    try {
      await env.startWorker();
      const r = await env.cli(['sync', '--source', 'big', '--wait']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const runId = await lastRunId(env.redis.client, keys, 'source', `big/${env.files['big'] ?? ''}`);
      expect(runId).not.toBeNull();
      const run = await readRun(env.redis.client, keys, runId ?? '');
      expect(run?.kind).toBe('collect');
      expect(run?.counts['chunks']).toBe(25);
      expect(run?.counts['kept']).toBe(25_000);
      expect((run?.counts['accepted'] ?? 0) + (run?.counts['rejected'] ?? 0)).toBe(25_000);
      // Each chunk recorded its own counts under the run: 25 chunks of 1000.
      const chunkCounts = await env.redis.client.hgetall(keys.rejects(`${runId ?? ''}~1`));
      expect(Object.keys(chunkCounts)).toHaveLength(25);
      for (const c of Object.values(chunkCounts)) {
        const n = JSON.parse(c) as { accepted: number; rejected: number };
        added.push(String(n.accepted + n.rejected));
      }
      expect(new Set(added)).toEqual(new Set(['1000']));
    } finally {
      await queues.close();
      connection.disconnect();
    }
  });
});
