/**
 * Full chaos: worker processes killed with SIGKILL at random points, three times per run, a
 * replacement started each time. Run 1 keeps the kills in the collect/ingest phase (pages slowed);
 * run 2 paces Graph at 4 requests/s so kills land in the reconcile too, where recovery waits for the
 * dead holder's target lock to expire (120 s: see docs/RELIABILITY.md, finding F1).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun, type ChaosData, type ChaosResult } from '../helpers/chaos-run.ts';
import { describeRun, expectChaosInvariants } from '../helpers/chaos-expect.ts';
import { workerKills } from '../helpers/chaos-scenarios.ts';

const COLLECT: ChaosData = { indicators: 20_000, seed: 103, objectsPerRun: 500, maxRangesPerLocation: 1500, pageDelayMs: 150 };
const RECONCILE: ChaosData = { indicators: 20_000, seed: 104, objectsPerRun: 1000, maxRangesPerLocation: 1000, graphRps: 4 };
const reference: Record<string, ChaosResult> = {};

beforeAll(async () => {
  reference['collect'] = await referenceRun(COLLECT);
  reference['reconcile'] = await referenceRun(RECONCILE);
  console.log(describeRun('worker-kills reference (collect)', reference['collect']));
  console.log(describeRun('worker-kills reference (reconcile)', reference['reconcile']));
});

describe('chaos: SIGKILL three times per run', () => {
  it('seed 31: kills during collect/ingest', async () => {
    const { run, figures } = await workerKills(COLLECT, { seed: 31, kills: 3, workers: 2, minGapMs: 500, maxGapMs: 3000 });
    console.log(describeRun('worker kills seed 31', run, { kills: figures.kills }));
    expect(figures.kills).toHaveLength(3);
    const ref = reference['collect'];
    if (!ref) throw new Error('no reference');
    expectChaosInvariants(run, ref);
  });

  it('seed 32: kills while the reconcile runs', async () => {
    const { run, figures } = await workerKills(RECONCILE, { seed: 32, kills: 3, workers: 2, minGapMs: 1500, maxGapMs: 4000 });
    console.log(describeRun('worker kills seed 32', run, { kills: figures.kills }));
    expect(figures.kills).toHaveLength(3);
    const ref = reference['reconcile'];
    if (!ref) throw new Error('no reference');
    expectChaosInvariants(run, ref);
  });
});
