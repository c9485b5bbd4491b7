/**
 * Reduced chaos (runs in `npm test`): worker processes killed with SIGKILL at random points, three
 * times in one run, a replacement started each time. The full suite (test/chaos/) runs more
 * indicators and seeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { workerKills } from '../helpers/chaos-scenarios.ts';

// Pages slowed to 400 ms so the collect/ingest phase is long enough for the kills to land in it. A kill
// during the reconcile costs up to the target lock's 120 s TTL (see docs/RELIABILITY.md), so the
// reduced version keeps to the collect/ingest phase; the full suite kills during reconciles too.
const DATA: ChaosData = { indicators: 4000, seed: 23, objectsPerRun: 200, maxRangesPerLocation: 400, pageDelayMs: 400 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
}, 120_000);

describe('chaos (reduced): worker kills', () => {
  it('three SIGKILLs at random points: Entra ends as the fault-free run', { timeout: 240_000 }, async () => {
    const { run, figures } = await workerKills(DATA, { seed: 3, kills: 3, workers: 2, minGapMs: 300, maxGapMs: 1500 });
    console.log(describeRun('worker kills seed 3', run, { kills: figures.kills }));
    expect(figures.kills).toHaveLength(3);
    expectChaosInvariants(run, reference);
  });
});
