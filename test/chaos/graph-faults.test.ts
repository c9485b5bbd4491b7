/**
 * Full chaos: Graph answering 30% 429 and 5% 503 at random, 20,000 indicators, three seeds (two
 * without Retry-After, as Graph's conditional access 429s; one with `Retry-After: 1`, where the log
 * alone shows that nobody called Graph before the wait ended). Invariants: test/helpers/chaos-expect.ts.
 */
import { beforeAll, describe, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { graphFaults } from '../helpers/chaos-scenarios.ts';

const DATA: ChaosData = { indicators: 20_000, seed: 101, objectsPerRun: 1000, maxRangesPerLocation: 1500 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
  console.log(describeRun('graph-faults reference', reference));
});

describe('chaos: Graph 30% 429 and 5% 503 at random', () => {
  for (const seed of [11, 12]) {
    it(`seed ${seed}, no Retry-After`, async () => {
      const run = await graphFaults(DATA, { seed, p429: 0.3, p503: 0.05 });
      console.log(describeRun(`graph 429/503 seed ${seed}`, run));
      expectChaosInvariants(run, reference);
    });
  }

  it('seed 13, Retry-After: 1 on every fault', async () => {
    const run = await graphFaults(DATA, { seed: 13, p429: 0.3, p503: 0.05, retryAfterSeconds: 1 });
    console.log(describeRun('graph 429/503 Retry-After 1 seed 13', run));
    expectChaosInvariants(run, reference, { retryAfterMs: 1000 });
  });
});
