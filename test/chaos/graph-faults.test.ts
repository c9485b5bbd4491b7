/**
 * Chaos: Graph answering 429s and 503s at random. Sizes and seeds come from the profile
 * (test/helpers/chaos-profile.ts): quick, inside `npm test`, one seed without Retry-After; full, two
 * seeds without Retry-After (as Graph's conditional access 429s) and one with `Retry-After: 1`, where
 * the log alone shows that nobody called Graph before the wait ended. Invariants:
 * test/helpers/chaos-expect.ts.
 */
import { beforeAll, describe, it } from 'vitest';
import { ReferenceRuns } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { chaosProfile, percent } from '../helpers/chaos-profile.ts';
import { graphFaults } from '../helpers/chaos-scenarios.ts';
import { CLUSTER_SKIP_REASON, clusterTarget } from '../helpers/redis.ts';

const profile = chaosProfile();
const { timeouts, runs } = profile.graphFaults;
const references = new ReferenceRuns();
// The first run again on the suite's Redis Cluster (test/helpers/redis.ts), against the same reference.
const cluster = clusterTarget();
const onCluster = runs.slice(0, 1);

describe(`chaos (${profile.name}): Graph 429s and 503s at random: Entra ends as the fault-free run, no request during a pause`, () => {
  beforeAll(async () => {
    for (const [data, reference] of await references.make(runs.map((r) => r.data))) {
      console.log(describeRun(`graph-faults reference (data seed ${data.seed})`, reference));
    }
  }, timeouts.referenceMs);

  for (const run of runs) {
    const retryAfter = run.retryAfterSeconds === undefined ? 'no Retry-After' : `Retry-After: ${run.retryAfterSeconds} on every fault`;
    it(`seed ${run.seed}: ${percent(run.p429)} 429 and ${percent(run.p503)} 503, ${retryAfter}`, { timeout: timeouts.runMs }, async () => {
      const result = await graphFaults(run.data, run);
      console.log(describeRun(`graph 429/503 seed ${run.seed}`, result));
      const options = run.retryAfterSeconds === undefined ? {} : { retryAfterMs: run.retryAfterSeconds * 1000 };
      expectChaosInvariants(result, references.of(run.data), options);
    });
  }

  for (const run of onCluster) {
    const name = `seed ${run.seed} on the Redis Cluster${cluster ? '' : ` (${CLUSTER_SKIP_REASON})`}: ${percent(run.p429)} 429 and ${percent(run.p503)} 503`;
    it.skipIf(!cluster)(name, { timeout: timeouts.runMs }, async () => {
      const result = await graphFaults(run.data, run, cluster);
      console.log(describeRun(`graph 429/503 seed ${run.seed} on the Redis Cluster`, result));
      const options = run.retryAfterSeconds === undefined ? {} : { retryAfterMs: run.retryAfterSeconds * 1000 };
      expectChaosInvariants(result, references.of(run.data), options);
    });
  }
});
