/**
 * Reduced chaos (runs in `npm test`): the run's own redis-server (AOF on, its own port and data
 * directory; the shared Redis is never touched) restarted mid-run. The full suite (test/chaos/)
 * restarts more often, with more indicators.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { redisRestart } from '../helpers/chaos-scenarios.ts';

// Pages slowed to 400 ms so the restart lands while the collect job waits for its ingest children.
const DATA: ChaosData = { indicators: 4000, seed: 24, objectsPerRun: 200, maxRangesPerLocation: 400, pageDelayMs: 400 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
}, 120_000);

describe('chaos (reduced): Redis restart', () => {
  it('Redis restarted mid-run: the run completes and Entra ends as the fault-free run', { timeout: 240_000 }, async () => {
    const { run, figures } = await redisRestart(DATA, { seed: 4, restarts: 1, minGapMs: 500, maxGapMs: 2000, downMs: 500 });
    console.log(describeRun('redis restart seed 4', run, { restarts: figures.restarts }));
    expect(figures.restarts).toHaveLength(1);
    expectChaosInvariants(run, reference);
  });
});
