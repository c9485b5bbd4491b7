import { afterEach, describe, expect, it } from 'vitest';
import { firstStageIdOf, startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const COLLECTION = '6d4c1f0e2b9a8c7d';

describe('graceful shutdown', () => {
  it('SIGTERM in the middle of a run: the worker finishes its active jobs and exits 0; nothing is lost', async () => {
    env = await startPipelineEnv({
      threatq: [{ name: 'tq', options: { generate: { count: 15_000, seed: 9 } }, collections: [{ id: COLLECTION }] }],
      target: { objectsPerRun: 200 },
    });
    const keys = stateKeys(env.config.redis.prefix);
    const first = await env.startWorker();
    const sync = env.cli(['sync', '--target', 'corp', '--wait', '--timeout', '3m'], { timeoutMs: 200_000 });
    const deadline = Date.now() + 60_000;
    while ((await env.redis.client.hlen(keys.rejects((await firstStageIdOf(env)) ?? 'none'))) < 2) {
      if (Date.now() > deadline) throw new Error(`the run never started:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await first.stop('SIGTERM');
    expect(code, first.output()).toBe(0);
    expect(first.output()).toContain('stopping: no new jobs');
    expect(first.output()).toContain('"message":"stopped"');
    await env.startWorker();
    const r = await sync;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const tq = env.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(expectedRanges(qualifyingValues(tq, COLLECTION), { whitelist: whitelistValues(tq, COLLECTION) }));
  });
});
