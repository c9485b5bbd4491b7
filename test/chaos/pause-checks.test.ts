/**
 * The chaos suite's own pause checks can fail: a request inside a pause window, a request sooner
 * than Retry-After after a 429, and a 429 that no pause followed are all reported; the watcher sees a
 * tenant block and a reconcile-queue rate limit on a real Redis (so "the queue was never
 * rate-limited" is a check that can fail).
 */
import { describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../src/emulators/graph/graph-emulator.ts';
import { paceKeys } from '../../src/graph/graph-pacer.ts';
import { bullConnection, createQueues } from '../../src/pipeline/queues.ts';
import { requestsDuringPauses, retryAfterViolations, throttlesWithoutPause, watchPauses, type PauseWindow } from '../helpers/chaos-pause-watch.ts';
import { testRedis } from '../helpers/redis.ts';
import { until } from '../helpers/until.ts';

const entry = (seq: number, at: number, status = 200): RequestLogEntry => ({ seq, kind: 'graph', method: 'GET', path: '/x', status, time: new Date(at).toISOString(), at });

describe('chaos checks', () => {
  const windows: PauseWindow[] = [{ source: 'block-key', from: 1010, until: 2000 }];

  it('finds a Graph request inside a pause window and none outside', () => {
    const log = [entry(1, 1000, 429), entry(2, 1500), entry(3, 2001)];
    expect(requestsDuringPauses(log, windows).map((v) => v.request.seq)).toEqual([2]);
    expect(requestsDuringPauses([entry(1, 1000, 429), entry(3, 2001)], windows)).toEqual([]);
  });

  it('finds a request sent sooner than Retry-After after a 429', () => {
    expect(retryAfterViolations([entry(1, 1000, 429), entry(2, 1500)], 1000)).toEqual([{ throttledAt: 1000, nextAt: 1500 }]);
    expect(retryAfterViolations([entry(1, 1000, 429), entry(2, 2000)], 1000)).toEqual([]);
  });

  it('finds a 429 that no pause followed', () => {
    expect(throttlesWithoutPause([entry(1, 1000, 429)], windows)).toEqual([]);
    expect(throttlesWithoutPause([entry(1, 5000, 429), entry(2, 5100)], windows)).toEqual([1]);
    // No window seen, but the next request waited at least the shortest backoff: not a violation.
    expect(throttlesWithoutPause([entry(1, 5000, 429), entry(2, 5300)], windows)).toEqual([]);
  });
});

describe('chaos pause watcher', () => {
  it('sees a tenant block as a window and a reconcile-queue rate limit as a violation to report', async () => {
    const r = testRedis('pause-watch');
    const connection = bullConnection(r.url);
    const queues = createQueues(connection, r.prefix);
    try {
      const watch = watchPauses(r.url, r.prefix, 'tenant-a');
      const blockedUntil = Date.now() + 400;
      await r.client.set(paceKeys(r.prefix, 'tenant-a').blocked, String(blockedUntil), 'PX', 1000);
      await queues.reconcile.rateLimit(400);
      await until('the rate limit to expire', async () => (await queues.reconcile.getRateLimitTtl()) <= 0 && Date.now() > blockedUntil);
      const { windows, queueRateLimits } = await watch.stop();
      expect(windows.map((w) => w.until)).toEqual([blockedUntil]);
      expect(queueRateLimits.length).toBeGreaterThan(0);
      expect(Math.max(...queueRateLimits)).toBeLessThanOrEqual(400);
    } finally {
      await queues.close();
      connection.disconnect();
      await r.cleanup();
    }
  });
});
