/**
 * Full chaos: ThreatQ answering 429s and 500s at random and every access token expiring three times
 * mid-collection, 20,000 indicators (40 pages), two seeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { threatqFaults } from '../helpers/chaos-scenarios.ts';

const DATA: ChaosData = { indicators: 20_000, seed: 102, objectsPerRun: 1000, maxRangesPerLocation: 1500 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
  console.log(describeRun('threatq-faults reference', reference));
});

describe('chaos: ThreatQ 429/500 at random and tokens expiring mid-collection', () => {
  for (const seed of [21, 22]) {
    it(`seed ${seed}`, async () => {
      const { run, figures } = await threatqFaults(DATA, { seed, p429: 0.15, p500: 0.1, expireAfterPages: [5, 15, 30] });
      console.log(describeRun(`threatq 429/500 + token expiry seed ${seed}`, run, { ...figures }));
      expect(figures.tokenExpiries).toBe(3);
      expect(figures.tokenRequests).toBeGreaterThanOrEqual(4);
      expectChaosInvariants(run, reference);
    });
  }
});
