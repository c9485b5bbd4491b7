/**
 * A worker replica's health server over real HTTP, fed by real BullMQ workers on a real Redis:
 * per-process metrics (jobs by outcome, active jobs, default process metrics), /healthz, /readyz
 * (Redis down, the extra `ready` check) and unknown paths.
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServerHandle } from '../../src/observability/health-server.ts';
import { createWorkerMetrics } from '../../src/observability/worker-metrics.ts';
import { GraphThrottledError } from '../../src/graph/errors/graph-throttled-error.ts';
import { runProcessor } from '../../workers/run-processor.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { parseExposition, sampleValue } from '../helpers/prom-parse.ts';

let r: TestRedis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(() => {
  r = testRedis('ops-health');
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await r.cleanup();
});

function connection(): Redis {
  const c = new Redis(r.url, { maxRetriesPerRequest: null });
  cleanups.push(async () => c.disconnect());
  return c;
}

async function serve(opts: Partial<Parameters<typeof startHealthServer>[0]> = {}): Promise<HealthServerHandle> {
  const h = await startHealthServer({ host: '127.0.0.1', port: 0, registry: createWorkerMetrics().registry, redis: r.client, ...opts });
  cleanups.push(() => h.close());
  return h;
}

describe('worker health server', () => {
  it('exports job outcomes and active jobs of real workers, with the default process metrics', async () => {
    const metrics = createWorkerMetrics();
    const queue = new Queue('ops-q', { connection: connection(), prefix: r.prefix });
    cleanups.push(() => queue.close());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const blockedStarted = new Promise<void>((resolve) => (started = resolve));
    // The service's own error → signal mapping (runProcessor) inside the metrics wrapper, as in start-workers.ts.
    const processor = metrics.wrap('ops-q', runProcessor(async (job: Job<{ kind: string }>) => {
      switch (job.data.kind) {
        case 'ok':
          return 'done';
        case 'retry':
          throw new Error('transient');
        case 'fatal':
          throw new UnrecoverableError('bad input');
        case 'defer':
          if (job.attemptsStarted <= 1) {
            await job.moveToDelayed(Date.now() + 50, job.token);
            throw new DelayedError();
          }
          return 'later';
        case 'throttle':
          // Graph kept throttling the tenant through every attempt: this job alone is delayed, attempts kept.
          if (job.attemptsStarted <= 1) throw new GraphThrottledError({ status: 429, method: 'GET', path: '/x' }, 50);
          return 'after the throttle';
        default:
          started();
          await gate;
          return 'unblocked';
      }
    }));
    const worker = new Worker('ops-q', processor, { connection: connection(), prefix: r.prefix, concurrency: 4 });
    cleanups.push(() => worker.close(true));
    metrics.observe(worker);
    const health = await serve({ registry: metrics.registry });

    const done = new Set<string>();
    const settled = new Promise<void>((resolve) => {
      const mark = (job: Job | undefined) => {
        if (job?.id) done.add(job.id);
        if (done.size === 5) resolve();
      };
      worker.on('completed', mark);
      worker.on('failed', (job, err) => {
        if (err.message === 'bad input' || job?.attemptsMade === 2) mark(job);
      });
    });
    await queue.add('a', { kind: 'ok' }, { jobId: 'ok' });
    await queue.add('b', { kind: 'retry' }, { jobId: 'retry', attempts: 2 });
    await queue.add('c', { kind: 'fatal' }, { jobId: 'fatal', attempts: 3 });
    await queue.add('d', { kind: 'defer' }, { jobId: 'defer' });
    await queue.add('t', { kind: 'throttle' }, { jobId: 'throttle', attempts: 1 });
    await queue.add('e', { kind: 'block' }, { jobId: 'block' });
    await settled;
    await blockedStarted;

    let m = parseExposition(await (await fetch(`${health.url}/metrics`)).text());
    const jobs = (outcome: string) => sampleValue(m, 'tq_entra_worker_jobs_total', { queue: 'ops-q', outcome });
    expect(jobs('completed')).toBe(3); // ok, defer (second run), throttle (second run)
    expect(jobs('retried')).toBe(1); // retry, first attempt
    expect(jobs('failed')).toBe(2); // retry (second attempt), fatal
    expect(jobs('deferred')).toBe(1);
    expect(jobs('throttled')).toBe(1);
    // With one attempt only, the throttled job still completed: its delay used no attempt.
    expect(await (await queue.getJob('throttle'))?.getState()).toBe('completed');
    expect(sampleValue(m, 'tq_entra_worker_active_jobs', { queue: 'ops-q' })).toBe(1); // block
    expect(m.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(m.types.has('nodejs_eventloop_lag_seconds')).toBe(true);

    release();
    await new Promise<void>((resolve) => worker.once('completed', () => resolve()));
    m = parseExposition(await (await fetch(`${health.url}/metrics`)).text());
    expect(sampleValue(m, 'tq_entra_worker_active_jobs', { queue: 'ops-q' })).toBe(0);
    expect(sampleValue(m, 'tq_entra_worker_jobs_total', { queue: 'ops-q', outcome: 'completed' })).toBe(4);
  });

  it('/healthz is 200, /readyz 200 with Redis, 503 with the reason of the extra check, 404 elsewhere', async () => {
    let stopping = false;
    const health = await serve({ ready: () => (stopping ? 'shutting down' : undefined) });
    const h = await fetch(`${health.url}/healthz`);
    expect([h.status, await h.json()]).toEqual([200, { status: 'ok' }]);
    expect((await fetch(`${health.url}/readyz`)).status).toBe(200);
    stopping = true;
    const ready = await fetch(`${health.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'unavailable', reason: 'shutting down' }]);
    const missing = await fetch(`${health.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('/nope');
    expect((await fetch(`${health.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('/readyz is 503 within about a second when Redis does not answer', async () => {
    // A BullMQ-style connection (commands wait for a reconnect forever) to a closed port.
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, retryStrategy: () => 200 });
    down.on('error', () => undefined);
    cleanups.push(async () => down.disconnect());
    const health = await serve({ redis: down });
    const t0 = Date.now();
    const res = await fetch(`${health.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/^Redis did not answer PING within 1000 ms/);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect((await fetch(`${health.url}/healthz`)).status).toBe(200);
  });
});
