import { describe, expect, it } from 'vitest';
import { captureLogs, getLogger } from '../../src/observability/logger.ts';
import { DEFAULT_JOB_RETENTION, type Queues, type WriteBackJobData } from '../../src/pipeline/queues.ts';
import { enqueueWriteBacksAfter } from '../../src/pipeline/stages/writeback/enqueue-writeback.ts';
import type { StageDeps } from '../../src/pipeline/stages/stage-deps.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { describeError } from '../../workers/job-signals.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';

const tq = (name: string, writeBack: boolean, targets: string[]) => ({
  name,
  kind: 'threatq',
  url: 'https://tq.example.com',
  auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' },
  collections: [{ id: `${name}-c1`, targets: [...targets, 't2'] }, { id: `${name}-c2`, targets: ['t2'] }],
  ...(writeBack ? { writeBack: {} } : {}),
});

const config = configFrom({
  sources: [tq('east', true, ['t1']), tq('west', false, ['t1']), { name: 'list', kind: 'file', path: '/tmp/list.txt', targets: ['t1'] }],
  targets: [baseTarget(), baseTarget({ name: 't2' })],
});

function depsWith(add: (name: string, data: WriteBackJobData, opts: Record<string, unknown>) => Promise<{ id: string }>): StageDeps {
  const queues = { writeBack: { add }, retention: DEFAULT_JOB_RETENTION } as unknown as Queues;
  return { config, redis: undefined as never, keys: stateKeys('x'), queues, logger: getLogger('test'), describeError };
}

describe('enqueueWriteBacksAfter (a reconcile of a target succeeded)', () => {
  it('queues one deduplicated job per ThreatQ source with writeBack that feeds the target (not per collection), and nothing else', async () => {
    const added: { data: WriteBackJobData; dedup: unknown }[] = [];
    const deps = depsWith(async (_name, data, opts) => (added.push({ data, dedup: opts['deduplication'] }), { id: String(added.length) }));
    await enqueueWriteBacksAfter(deps, 't1', getLogger('test'));
    expect(added).toEqual([{ data: { source: 'east', targets: ['t1'] }, dedup: { id: 'writeback:east', keepLastIfActive: true } }]);
    // t2 is fed by both collections of each ThreatQ source: still one job for east, none for west.
    added.length = 0;
    await enqueueWriteBacksAfter(deps, 't2', getLogger('test'));
    expect(added).toEqual([{ data: { source: 'east', targets: ['t2'] }, dedup: { id: 'writeback:east', keepLastIfActive: true } }]);
  });

  it('only logs a failed enqueue: the reconcile goes on', async () => {
    const logs = captureLogs();
    try {
      const deps = depsWith(async () => {
        throw new Error('Connection is closed.');
      });
      await expect(enqueueWriteBacksAfter(deps, 't1', getLogger('test'))).resolves.toBeUndefined();
      expect(logs.text()).toContain('could not queue the write-back to ThreatQ');
      expect(logs.text()).toContain('Connection is closed.');
    } finally {
      logs.stop();
    }
  });
});
