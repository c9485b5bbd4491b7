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

describe('crash safety', () => {
  it('a worker killed with SIGKILL mid-run: a second worker finishes it and Entra ends as after an uninterrupted run', async () => {
    env = await startPipelineEnv({
      threatq: [{ name: 'tq', options: { generate: { count: 20_000, seed: 5 } }, collections: [{ id: COLLECTION }] }],
      target: { objectsPerRun: 200 },
    });
    const keys = stateKeys(env.config.redis.prefix);
    const first = await env.startWorker();
    const sync = env.cli(['sync', '--target', 'corp', '--wait', '--timeout', '3m'], { timeoutMs: 200_000 });
    // Wait until the run is part-way through its chunks, then kill the worker without warning.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const recorded = await env.redis.client.hlen(keys.rejects((await firstStageIdOf(env)) ?? 'none'));
      if (recorded >= 3) break;
      if (Date.now() > deadline) throw new Error(`the run never started:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await first.stop('SIGKILL');
    const chunksAtKill = await env.redis.client.hlen(keys.rejects((await firstStageIdOf(env)) ?? 'none'));
    await env.startWorker();
    const r = await sync;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(chunksAtKill).toBeLessThan(Number(/"chunks":(\d+)/.exec(r.stdout)?.[1] ?? 0));
    const tq = env.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    const inEntra = rangesInEntra(env.graph, 'TQ Blocked');
    expect(inEntra.all).toEqual(expectedRanges(qualifyingValues(tq, COLLECTION), { whitelist: whitelistValues(tq, COLLECTION) }));
    // No location or policy was created twice.
    const names = inEntra.locations.map((l) => l.displayName);
    expect(new Set(names).size).toBe(names.length);
    expect((env.graph.state().policies as { displayName: string }[]).filter((p) => p.displayName === 'TQ Block')).toHaveLength(1);
  });
});
