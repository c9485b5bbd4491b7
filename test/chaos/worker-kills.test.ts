/**
 * Chaos: worker processes killed with SIGKILL at random points, a replacement started each time.
 * Each run of the profile (test/helpers/chaos-profile.ts) aims its kills at a phase through its data:
 * slowed pages keep them in collect/ingest (quick, inside `npm test`, and full); Graph paced at 4
 * requests/s lands them in the reconcile too (full only), where recovery waits for the dead holder's
 * target lock lease to end (docs/RELIABILITY.md, finding F1). Invariants: test/helpers/chaos-expect.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceRuns } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { chaosProfile } from '../helpers/chaos-profile.ts';
import { workerKills } from '../helpers/chaos-scenarios.ts';
import { CLUSTER_SKIP_REASON, clusterTarget } from '../helpers/redis.ts';

const profile = chaosProfile();
const { timeouts, runs } = profile.workerKills;
const references = new ReferenceRuns();
// The first run again on the suite's Redis Cluster (test/helpers/redis.ts), against the same reference,
// with at most two kills: each kill waits for its replacement worker to start, and on a loaded machine
// the run could finish before a third one lands (the kill count is asserted).
const cluster = clusterTarget();
const onCluster = runs.slice(0, 1).map((r) => ({ ...r, kills: Math.min(r.kills, 2) }));

describe(`chaos (${profile.name}): worker processes SIGKILLed at random points: Entra ends as the fault-free run`, () => {
  beforeAll(async () => {
    for (const [data, reference] of await references.make(runs.map((r) => r.data))) {
      console.log(describeRun(`worker-kills reference (data seed ${data.seed})`, reference));
    }
  }, timeouts.referenceMs);

  for (const run of runs) {
    it(`seed ${run.seed}: ${run.kills} kills among ${run.workers} workers during ${run.aim}`, { timeout: timeouts.runMs }, async () => {
      const { run: result, figures } = await workerKills(run.data, run);
      console.log(describeRun(`worker kills seed ${run.seed}`, result, { kills: figures.kills }));
      expect(figures.kills).toHaveLength(run.kills);
      expectChaosInvariants(result, references.of(run.data));
    });
  }

  for (const run of onCluster) {
    const name = `seed ${run.seed} on the Redis Cluster${cluster ? '' : ` (${CLUSTER_SKIP_REASON})`}: ${run.kills} kills among ${run.workers} workers during ${run.aim}`;
    it.skipIf(!cluster)(name, { timeout: timeouts.runMs }, async () => {
      const { run: result, figures } = await workerKills(run.data, run, cluster);
      console.log(describeRun(`worker kills seed ${run.seed} on the Redis Cluster`, result, { kills: figures.kills }));
      expect(figures.kills).toHaveLength(run.kills);
      expectChaosInvariants(result, references.of(run.data));
    });
  }
});
