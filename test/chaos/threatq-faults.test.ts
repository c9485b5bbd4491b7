/**
 * Chaos: ThreatQ answering 429s and 500s at random and every access token expiring mid-collection,
 * after the pages the profile names (test/helpers/chaos-profile.ts: quick, inside `npm test`, 4,000
 * indicators, two expiries, one seed; full, 20,000 indicators, three expiries, two seeds). The run
 * completes with every indicator. Invariants: test/helpers/chaos-expect.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceRuns } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { chaosProfile, percent } from '../helpers/chaos-profile.ts';
import { threatqFaults } from '../helpers/chaos-scenarios.ts';

const profile = chaosProfile();
const { timeouts, runs } = profile.threatqFaults;
const references = new ReferenceRuns();

describe(`chaos (${profile.name}): ThreatQ 429s and 500s at random and tokens expiring mid-collection: the run completes with every indicator`, () => {
  beforeAll(async () => {
    for (const [data, reference] of await references.make(runs.map((r) => r.data))) {
      console.log(describeRun(`threatq-faults reference (data seed ${data.seed})`, reference));
    }
  }, timeouts.referenceMs);

  for (const run of runs) {
    const expiries = run.expireAfterPages.length;
    it(`seed ${run.seed}: ${percent(run.p429)} 429 and ${percent(run.p500)} 500, tokens expired after pages ${run.expireAfterPages.join(', ')}`, { timeout: timeouts.runMs }, async () => {
      const { run: result, figures } = await threatqFaults(run.data, run);
      console.log(describeRun(`threatq 429/500 + token expiry seed ${run.seed}`, result, { ...figures }));
      expect(figures.tokenExpiries).toBe(expiries);
      expect(figures.tokenRequests).toBeGreaterThanOrEqual(expiries + 1);
      expect(Object.values(figures.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expectChaosInvariants(result, references.of(run.data));
    });
  }
});
