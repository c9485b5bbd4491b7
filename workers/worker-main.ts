/**
 * The worker process: one BullMQ Worker per queue (collect, ingest, reconcile) with the configured
 * concurrency, all sharing one Redis. Several processes on one Redis share the work; a job whose
 * process dies is picked up again once its lock expires (`worker.lockDurationMs`).
 *
 * Every processor runs inside `runProcessor`, which lets BullMQ's own control-flow errors through and
 * hands everything else to `throwJobSignal` (the single error → signal mapping). A run that fails for
 * good is recorded as failed in the run store, with its error code and message.
 */
import { DelayedError, MetricsTime, RateLimitError, WaitingChildrenError, Worker, type Job, type Queue } from 'bullmq';
import type { Config } from '../src/config/schema.ts';
import { getLogger } from '../src/ops/logger.ts';
import { QUEUE, bullConnection, createQueues, type QueueName } from '../src/pipeline/queues.ts';
import { stateKeys } from '../src/pipeline/redis-keys.ts';
import { readRun, writeRun } from '../src/pipeline/run-store.ts';
import { coerceError } from '../src/errors/sync-error.ts';
import { collectRunId, processCollect } from './collect.ts';
import { processIngest } from './ingest.ts';
import { processReconcile } from './reconcile.ts';
import { describeError, throwJobSignal } from './job-signals.ts';
import type { WorkerDeps } from './worker-deps.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../src/ops/worker-metrics.ts';
import { startHealthServer, type HealthServerHandle } from '../src/ops/health-server.ts';
import { recordQueuePause } from '../src/ops/metrics-store.ts';
import { safely } from './record-metrics.ts';

export interface WorkerOptions {
  /** Queues to serve (default all three). */
  queues?: readonly QueueName[];
  /** Serve /metrics, /healthz, /readyz on worker.http (default true; port 0 in the config also turns it off). */
  http?: boolean;
}

export interface WorkerHandle {
  workers: Worker[];
  deps: WorkerDeps;
  metrics: WorkerMetrics;
  /** The per-process /metrics, /healthz, /readyz server, when served. */
  http: HealthServerHandle | undefined;
  /** Stop taking jobs, let active ones finish (or hand them back when `force`), close connections. */
  close(force?: boolean): Promise<void>;
}

function isControlFlow(e: unknown): boolean {
  return e instanceof WaitingChildrenError || e instanceof DelayedError || e instanceof RateLimitError;
}

export function runProcessor<T, R>(
  queue: Queue | undefined,
  fn: (job: Job<T>, token: string | undefined) => Promise<R>,
  onPause?: (ms: number) => Promise<void>,
): (job: Job<T>, token?: string) => Promise<R> {
  return async (job, token) => {
    try {
      return await fn(job, token);
    } catch (e) {
      if (isControlFlow(e)) throw e;
      return throwJobSignal(e, queue, onPause);
    }
  };
}

export async function startWorkers(config: Config, options: WorkerOptions = {}): Promise<WorkerHandle> {
  const logger = getLogger('worker');
  const redis = bullConnection(config.redis.url);
  const prefix = config.redis.prefix;
  const queues = createQueues(redis, prefix);
  const deps: WorkerDeps = { config, redis, keys: stateKeys(prefix), queues, logger };
  const serve = new Set(options.queues ?? [QUEUE.collect, QUEUE.ingest, QUEUE.reconcile]);
  const metrics = createWorkerMetrics();
  const onPause = (queue: string) => (ms: number) => safely(logger, 'pause', () => recordQueuePause(redis, prefix, { queue, ms }));
  const common = {
    prefix,
    metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: 3,
  };
  const workers: Worker[] = [];
  // BullMQ never closes a connection it was handed: keep every one to disconnect on close.
  const connections = [redis];
  const connection = () => {
    const c = bullConnection(config.redis.url);
    connections.push(c);
    return c;
  };
  if (serve.has(QUEUE.collect)) {
    workers.push(
      new Worker(QUEUE.collect, metrics.wrap(QUEUE.collect, runProcessor(queues.collect, (job, token) => processCollect(job, token, deps))), {
        ...common,
        connection: connection(),
        concurrency: config.worker.concurrency.collect,
      }),
    );
  }
  if (serve.has(QUEUE.ingest)) {
    workers.push(
      new Worker(QUEUE.ingest, metrics.wrap(QUEUE.ingest, runProcessor(queues.ingest, (job) => processIngest(job, deps))), {
        ...common,
        connection: connection(),
        concurrency: config.worker.concurrency.ingest,
      }),
    );
  }
  if (serve.has(QUEUE.reconcile)) {
    workers.push(
      new Worker(QUEUE.reconcile, metrics.wrap(QUEUE.reconcile, runProcessor(queues.reconcile, (job, token) => processReconcile(job, token, deps), onPause(QUEUE.reconcile))), {
        ...common,
        connection: connection(),
        concurrency: config.worker.concurrency.reconcile,
      }),
    );
  }
  for (const w of workers) {
    metrics.observe(w);
    w.on('failed', (job, error) => {
      if (!job) return;
      const final = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      logger.warn(final ? 'job failed' : 'job attempt failed, will retry', {
        queue: w.name,
        jobId: job.id,
        attemptsMade: job.attemptsMade,
        error: describeError(coerceError(error)),
      });
      if (final && w.name === QUEUE.collect && job.id) void markRunFailed(deps, collectRunId(job.id), error);
    });
    w.on('error', (error) => logger.error('worker error', { queue: w.name, error: describeError(error) }));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  let closing = false;
  const http =
    options.http === false || config.worker.http.port === 0
      ? undefined
      : await startHealthServer({
          host: config.worker.http.host,
          port: config.worker.http.port,
          registry: metrics.registry,
          redis,
          ready: () => (closing ? 'shutting down' : undefined),
        });
  logger.info('workers started', { queues: [...serve], concurrency: config.worker.concurrency, http: http?.url });
  return {
    workers,
    deps,
    metrics,
    http,
    async close(force = false) {
      closing = true;
      await Promise.all(workers.map((w) => w.close(force)));
      await http?.close();
      await queues.close();
      for (const c of connections) c.disconnect();
    },
  };
}

async function markRunFailed(deps: WorkerDeps, runId: string, error: Error): Promise<void> {
  try {
    const run = await readRun(deps.redis, deps.keys, runId);
    if (!run || run.status !== 'running') return;
    const code = /^(ERR_[A-Z_]+):/.exec(error.message)?.[1] ?? (error as Error & { code?: string }).code ?? 'ERR_RUN_FAILED';
    await writeRun(deps.redis, deps.keys, { ...run, status: 'failed', finishedAt: new Date().toISOString(), error: { code, message: describeError(error) } });
  } catch (e) {
    deps.logger.error('could not record the failed run', { runId, error: describeError(coerceError(e)) });
  }
}
