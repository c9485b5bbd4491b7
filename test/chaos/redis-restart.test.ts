/**
 * Full chaos: the run's own redis-server (AOF on, own port and data directory; the shared Redis is
 * never touched) restarted three times at random points of one run, two seeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { redisRestart } from '../helpers/chaos-scenarios.ts';

const DATA: ChaosData = { indicators: 20_000, seed: 105, objectsPerRun: 500, maxRangesPerLocation: 1000, pageDelayMs: 100, graphRps: 8 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
  console.log(describeRun('redis-restart reference', reference));
});

describe('chaos: Redis restarted mid-run', () => {
  for (const seed of [41, 42]) {
    it(`seed ${seed}: three restarts`, async () => {
      const { run, figures } = await redisRestart(DATA, { seed, restarts: 3, minGapMs: 1000, maxGapMs: 4000, downMs: 1000 });
      console.log(describeRun(`redis restart seed ${seed}`, run, { restarts: figures.restarts }));
      expect(figures.restarts).toHaveLength(3);
      expectChaosInvariants(run, reference);
    });
  }
});
