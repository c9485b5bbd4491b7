/**
 * Chaos: the run's own redis-server (AOF on, its own port and data directory; the shared Redis is
 * never touched) restarted at random points of one run, as often as the profile says
 * (test/helpers/chaos-profile.ts: quick, inside `npm test`, once; full, three times, two seeds). The
 * run completes and Entra ends as the fault-free run. Invariants: test/helpers/chaos-expect.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceRuns } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { chaosProfile } from '../helpers/chaos-profile.ts';
import { redisRestart } from '../helpers/chaos-scenarios.ts';

const profile = chaosProfile();
const { timeouts, runs } = profile.redisRestart;
const references = new ReferenceRuns();

describe(`chaos (${profile.name}): Redis restarted mid-run: the run completes and Entra ends as the fault-free run`, () => {
  beforeAll(async () => {
    for (const [data, reference] of await references.make(runs.map((r) => r.data))) {
      console.log(describeRun(`redis-restart reference (data seed ${data.seed})`, reference));
    }
  }, timeouts.referenceMs);

  for (const run of runs) {
    it(`seed ${run.seed}: ${run.restarts} restart${run.restarts === 1 ? '' : 's'}, ${run.downMs} ms down each`, { timeout: timeouts.runMs }, async () => {
      const { run: result, figures } = await redisRestart(run.data, run);
      console.log(describeRun(`redis restart seed ${run.seed}`, result, { restarts: figures.restarts }));
      expect(figures.restarts).toHaveLength(run.restarts);
      expectChaosInvariants(result, references.of(run.data));
    });
  }
});
