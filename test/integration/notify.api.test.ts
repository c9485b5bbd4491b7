/**
 * The `notify` API on real Redis, without a worker: what it queues (the target's name, the time, the
 * event; never the URL; the target's attempts and backoff), what it leaves out (events a target does
 * not want, thresholds not crossed, a condition inside its window), and that it never rejects: a
 * queue that cannot take the job gives the window back and the caller goes on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getLogger } from '../../src/observability/logger.ts';
import { metricKeys } from '../../src/observability/metrics-keys.ts';
import { notify, notifyAfterReconcile, notifyWindowKey, type NotifyDeps } from '../../src/notify/notify.ts';
import { bullConnection, createQueues, type Queues } from '../../src/pipeline/queues.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis | undefined;
let queues: Queues | undefined;
afterEach(async () => {
  await queues?.close();
  await redis?.cleanup();
  queues = undefined;
  redis = undefined;
});

const URL_TOKEN = 'api-test-webhook-token-0123456789';

function setup(): NotifyDeps {
  redis = testRedis('notify-api');
  queues = createQueues(bullConnection(redis.url), redis.prefix);
  const config = configFrom({
    redis: { url: redis.url, prefix: redis.prefix },
    targets: [baseTarget({ namedLocation: { name: 'TQ Blocked', maxLocations: 2, maxRangesPerLocation: 100 } })],
    notify: [
      { name: 'all', kind: 'webhook', url: `https://receiver.example/h/${URL_TOKEN}`, largeChange: 10, capacityPercent: 75, attempts: 3, backoff: '2s' },
      { name: 'refusals', kind: 'slack', url: 'https://hooks.slack.example/services/T/B/refusals-only-token', events: ['run-refused'] },
    ],
  });
  return { config, redis: redis.client, queues, logger: getLogger('test') };
}

describe('notify', () => {
  it('queues one job per wanting target with the target name, never the URL, and the target retry settings', async () => {
    const deps = setup();
    const event = { kind: 'run-refused', target: 't1', runId: 'r1', code: 'ERR_SAFETY_EMPTY', message: 'empty' } as const;
    expect(await notify(deps, event)).toBe(2);
    const jobs = await deps.queues.notify.getJobs(['waiting']);
    expect(jobs.map((j) => j.data.target).sort()).toEqual(['all', 'refusals']);
    const all = jobs.find((j) => j.data.target === 'all');
    expect(all?.data.event).toEqual(event);
    expect(Date.parse(all?.data.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(all?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 2000 } });
    expect(JSON.stringify(jobs.map((j) => j.data))).not.toContain('example');
    // Again within the window: nothing queued, counted as suppressed per kind.
    expect(await notify(deps, event)).toBe(0);
    expect(await deps.redis.hget(metricKeys(redis?.prefix ?? '').notifications, JSON.stringify(['webhook', 'suppressed']))).toBe('1');
    expect(await deps.redis.hget(metricKeys(redis?.prefix ?? '').notifications, JSON.stringify(['slack', 'suppressed']))).toBe('1');
    const ttl = await deps.redis.pttl(notifyWindowKey(redis?.prefix ?? '', 'all', 'run-refused:t1'));
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('after a reconcile: large-change above largeChange only, capacity-high above capacityPercent only', async () => {
    const deps = setup();
    const locations = [{ displayName: 'TQ Blocked', action: 'update', size: 100 }, { displayName: 'TQ Blocked (2)', action: 'create', size: 50 }, { displayName: 'old', action: 'delete', size: 90 }];
    await notifyAfterReconcile(deps, { target: 't1', runId: 'r1', added: 5, removed: 5, locations }); // 10 changes, 150/200 = 75 %: neither
    expect(await deps.queues.notify.getJobs(['waiting'])).toEqual([]);
    await notifyAfterReconcile(deps, { target: 't1', runId: 'r2', added: 6, removed: 5, locations: [...locations, { displayName: 'TQ Blocked (3)', action: 'create', size: 1 }] });
    const jobs = await deps.queues.notify.getJobs(['waiting']);
    expect(jobs.map((j) => [j.data.target, j.data.event.kind]).sort()).toEqual([
      ['all', 'capacity-high'],
      ['all', 'large-change'],
    ]);
    expect(jobs.find((j) => j.data.event.kind === 'capacity-high')?.data.event).toMatchObject({ ranges: 151, capacity: 200 });
  });

  it('never rejects: a queue that cannot take the job gives the window back', async () => {
    const deps = setup();
    vi.spyOn(deps.queues.notify, 'add').mockRejectedValue(new Error('READONLY You can\'t write against a read only replica.'));
    const event = { kind: 'rollback', target: 't1', toRun: 'r0' } as const;
    await expect(notify(deps, event)).resolves.toBe(0);
    expect(await deps.redis.exists(notifyWindowKey(redis?.prefix ?? '', 'all', 'rollback:t1:r0'))).toBe(0);
  });
});
