import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { redisVariants } from '../helpers/redis.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

// On the suite's single Redis and on its Redis Cluster (test/helpers/redis.ts: REDIS_CLUSTER_NODES).
describe.each(redisVariants())('pipeline end to end on %s', (_label, redis) => {
  it.skipIf(!redis)('two ThreatQ instances and a file feed one target: Entra holds exactly the merged union', { timeout: 120_000 }, async () => {
    env = await startPipelineEnv({
      redis,
      threatq: [
        { name: 'tq-east', options: { idOffset: 10, generate: { count: 2500, seed: 1 } }, collections: [{ id: '6d4c1f0e2b9a8c7d' }] },
        { name: 'tq-west', options: { idOffset: 70, generate: { count: 1500, seed: 2 } }, collections: [{ id: 'a1b2c3d4e5f6' }] },
      ],
      files: [{ name: 'extra', lines: ['# hand list', '198.51.100.77', '2001:db8:1::/48', 'not-an-ip'] }],
    });
    const worker = await env.startWorker();
    const r = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(r.stderr.split('\n').filter((l) => l.includes('FAILED'))).toEqual([]);
    expect(r.code, r.stdout + r.stderr + worker.output()).toBe(0);
    const east = env.threatq['tq-east'];
    const west = env.threatq['tq-west'];
    if (!east || !west) throw new Error('unreachable');
    const values = [...qualifyingValues(east, '6d4c1f0e2b9a8c7d'), ...qualifyingValues(west, 'a1b2c3d4e5f6'), '198.51.100.77', '2001:db8:1::/48'];
    // The Whitelisted IP indicators of both collections are never blocked, whichever source has them.
    const whitelist = [...whitelistValues(east, '6d4c1f0e2b9a8c7d'), ...whitelistValues(west, 'a1b2c3d4e5f6')];
    expect(whitelist.length).toBeGreaterThan(0);
    const expected = expectedRanges(values, { whitelist });
    const inEntra = rangesInEntra(env.graph, 'TQ Blocked');
    expect(inEntra.all).toEqual(expected);
    expect(inEntra.locations.length).toBeGreaterThanOrEqual(1);
    const policies = env.graph.state().policies as { displayName: string; state: string; conditions: { locations: { includeLocations: string[] } } }[];
    expect(policies).toHaveLength(1);
    expect(policies[0]?.state).toBe('enabledForReportingButNotEnforced');
  });
});
