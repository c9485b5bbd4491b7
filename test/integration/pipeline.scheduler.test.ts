import { afterEach, describe, expect, it } from 'vitest';
import { bullConnection, createQueues, type Queues } from '../../src/pipeline/queues.ts';
import { syncSchedulers } from '../../src/pipeline/scheduler.ts';
import { enqueueReconcile } from '../../src/pipeline/producer.ts';
import { configFingerprint } from '../../src/pipeline/config-fingerprint.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis | undefined;
let queues: Queues | undefined;
afterEach(async () => {
  await queues?.close();
  await r?.cleanup();
  queues = undefined;
  r = undefined;
});

function tqSource(name: string, collections: Record<string, unknown>[]): Record<string, unknown> {
  return { name, kind: 'threatq', url: 'https://tq.example.com', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 'secret-x' }, collections };
}

describe('job schedulers', () => {
  it('upsert one scheduler per scheduled collection and follow config changes', async () => {
    r = testRedis('sched');
    queues = createQueues(bullConnection(r.url), r.prefix);
    const v1 = configFrom({
      sources: [
        tqSource('east', [
          { id: 'c1', targets: ['t1'], schedule: { every: '1h' } },
          { id: 'c2', targets: ['t1'], schedule: { cron: '0 */6 * * *' } },
          { id: 'c3', targets: ['t1'] },
        ]),
        { name: 'file', kind: 'file', path: '/tmp/list.txt', targets: ['t1'], schedule: { every: '15m' } },
      ],
      targets: [baseTarget()],
    });
    const first = await syncSchedulers(v1, queues);
    expect(first.upserted.sort()).toEqual(['collect:east:c1', 'collect:east:c2', 'collect:file:%2Ftmp%2Flist.txt']);
    expect(first.removed).toEqual([]);
    const listed = await queues.collect.getJobSchedulers(0, -1);
    const byKey = Object.fromEntries(listed.map((s) => [s.key, s]));
    expect(byKey['collect:east:c1']?.every).toBe(3_600_000);
    expect(byKey['collect:east:c2']?.pattern).toBe('0 */6 * * *');
    expect(byKey['collect:east:c1']?.template?.opts).toMatchObject({ attempts: 3, removeOnComplete: { count: 1000, age: 604_800 }, removeOnFail: { count: 5000, age: 604_800 } });
    expect(byKey['collect:east:c1']?.template?.data).toEqual({ source: 'east', collection: 'c1', manual: false, trigger: 'schedule', configFingerprint: configFingerprint(v1) });

    const v2 = configFrom({
      sources: [tqSource('east', [{ id: 'c1', targets: ['t1'], schedule: { every: '30m' } }, { id: 'c3', targets: ['t1'], schedule: { every: '1d' } }])],
      targets: [baseTarget()],
    });
    const second = await syncSchedulers(v2, queues);
    expect(second.removed.sort()).toEqual(['collect:east:c2', 'collect:file:%2Ftmp%2Flist.txt']);
    const after = await queues.collect.getJobSchedulers(0, -1);
    expect(after.map((s) => s.key).sort()).toEqual(['collect:east:c1', 'collect:east:c3']);
    expect(after.find((s) => s.key === 'collect:east:c1')?.every).toBe(1_800_000);
  });

  it('queues carry the configured retention: finished-job caps on produced jobs, the event-stream cap in the queue meta', async () => {
    r = testRedis('retention');
    queues = createQueues(bullConnection(r.url), r.prefix, { keepCompleted: 7, keepFailed: 9, keepForMs: 3_600_000, keepEvents: 500 });
    const id = await enqueueReconcile(queues, { target: 't1', manual: false, force: false, trigger: 'cli', runIds: [] });
    const job = await queues.reconcile.getJob(id);
    expect(job?.opts.removeOnComplete).toEqual({ count: 7, age: 3600 });
    expect(job?.opts.removeOnFail).toEqual({ count: 9, age: 3600 });
    expect((await queues.reconcile.getMeta()).maxLenEvents).toBe(500);
  });

  it('deduplicates reconcile requests per target', async () => {
    r = testRedis('dedup');
    queues = createQueues(bullConnection(r.url), r.prefix);
    const a = await enqueueReconcile(queues, { target: 't1', manual: false, force: false, trigger: 'cli', runIds: ['r1'] });
    const b = await enqueueReconcile(queues, { target: 't1', manual: false, force: false, trigger: 'cli', runIds: ['r2'] });
    const c = await enqueueReconcile(queues, { target: 't2', manual: false, force: false, trigger: 'cli', runIds: ['r3'] });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(await queues.reconcile.getWaitingCount()).toBe(2);
  });
});
