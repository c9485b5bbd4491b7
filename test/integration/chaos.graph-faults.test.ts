/**
 * Reduced chaos (runs in `npm test`): Graph answering 30% 429 and 5% 503 at random. The full suite
 * (test/chaos/) runs more indicators and seeds. Invariants: chaos-expect.ts.
 */
import { beforeAll, describe, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { graphFaults } from '../helpers/chaos-scenarios.ts';

const DATA: ChaosData = { indicators: 2000, seed: 21, objectsPerRun: 500, maxRangesPerLocation: 300 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
  console.log(describeRun('reference', reference));
}, 120_000);

describe('chaos (reduced): Graph faults', () => {
  it('30% 429 and 5% 503 at random, no Retry-After: Entra ends as the fault-free run, no request during a pause', { timeout: 180_000 }, async () => {
    const run = await graphFaults(DATA, { seed: 1, p429: 0.3, p503: 0.05 });
    console.log(describeRun('graph 429/503 seed 1', run));
    expectChaosInvariants(run, reference);
  });
});
