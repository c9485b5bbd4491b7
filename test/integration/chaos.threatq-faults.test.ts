/**
 * Reduced chaos (runs in `npm test`): ThreatQ answering 429 and 500 at random, and every access token
 * expiring twice mid-collection. The full suite (test/chaos/) runs more indicators and seeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { threatqFaults } from '../helpers/chaos-scenarios.ts';

const DATA: ChaosData = { indicators: 4000, seed: 22, objectsPerRun: 500, maxRangesPerLocation: 500 };
let reference: ChaosResult;

beforeAll(async () => {
  reference = await referenceRun(DATA);
}, 120_000);

describe('chaos (reduced): ThreatQ faults', () => {
  it('429s and 500s at random and tokens expiring mid-collection: the run completes with every indicator', { timeout: 180_000 }, async () => {
    // The emulator serves 500 indicators a page: 8 pages.
    const { run, figures } = await threatqFaults(DATA, { seed: 2, p429: 0.15, p500: 0.1, expireAfterPages: [2, 5] });
    console.log(describeRun('threatq 429/500 + token expiry seed 2', run, { ...figures }));
    expect(figures.tokenExpiries).toBe(2);
    expect(figures.tokenRequests).toBeGreaterThanOrEqual(3);
    expect(Object.values(figures.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expectChaosInvariants(run, reference);
  });
});
