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
import { getLogger } from '../src/observability/logger.ts';
import { QUEUE, bullConnection, createQueues, jobRetentionOf, type QueueName } from '../src/pipeline/queues.ts';
import { stateKeys } from '../src/pipeline/redis-keys.ts';
import { readRun, writeRun } from '../src/pipeline/run-store.ts';
import { coerceError } from '../src/errors/sync-error.ts';
import { processCollect } from './collect.ts';
import { configFingerprint } from '../src/pipeline/config-fingerprint.ts';
import type { Logger } from '../src/observability/logger.ts';
import { processIngest } from './ingest.ts';
import { processReconcile } from './reconcile.ts';
import { describeError, throwJobSignal } from './job-signals.ts';
import type { WorkerDeps } from './worker-deps.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../src/observability/worker-metrics.ts';
import { startHealthServer, type HealthServerHandle } from '../src/observability/health-server.ts';
import { recordQueuePause } from '../src/observability/metrics-store.ts';
import { safely } from './record-metrics.ts';
import { isRedisConnectionError, redisHealth } from '../src/redis/redis-connection.ts';

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
  const queues = createQueues(redis, prefix, jobRetentionOf(config));
  const deps: WorkerDeps = { config, redis, keys: stateKeys(prefix), queues, logger };
  const serve = new Set(options.queues ?? [QUEUE.collect, QUEUE.ingest, QUEUE.reconcile]);
  const metrics = createWorkerMetrics();
  const drift = driftWarning(config, logger);
  const onPause = (queue: string) => (ms: number) => safely(logger, 'pause', () => recordQueuePause(redis, prefix, { queue, ms }));
  const common = {
    prefix,
    metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: 3,
  };
  let closing = false;
  // The health server binds first: a port in use fails the start before any Worker or connection
  // exists, so nothing is left running (the caller exits 1 with ERR_OPS_LISTEN).
  const http =
    options.http === false || config.worker.http.port === 0
      ? undefined
      : await startHealthServer({
          host: config.worker.http.host,
          port: config.worker.http.port,
          registry: metrics.registry,
          redis,
          ready: () => (closing ? 'shutting down' : undefined),
        }).catch(async (e: unknown) => {
          await queues.close();
          redis.disconnect();
          throw e;
        });
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
      new Worker(QUEUE.collect, metrics.wrap(QUEUE.collect, runProcessor(queues.collect, (job, token) => (drift(job), processCollect(job, token, deps)))), {
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
      new Worker(QUEUE.reconcile, metrics.wrap(QUEUE.reconcile, runProcessor(queues.reconcile, (job, token) => (drift(job), processReconcile(job, token, deps)), onPause(QUEUE.reconcile))), {
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
      const runId = (job.data as { runId?: unknown }).runId;
      if (final && w.name === QUEUE.collect && typeof runId === 'string') void markRunFailed(deps, runId, error);
    });
    // Lost connections are logged once per state change by src/redis/redis-connection.ts.
    w.on('error', (error) => {
      if (!isRedisConnectionError(error)) logger.error('worker error', { queue: w.name, error: describeError(error) });
    });
  }
  try {
    await Promise.all(workers.map((w) => w.waitUntilReady()));
  } catch (e) {
    await Promise.all(workers.map((w) => w.close(true)));
    await http?.close();
    await queues.close();
    for (const c of connections) c.disconnect();
    throw e;
  }
  logger.info('workers started', { queues: [...serve], concurrency: config.worker.concurrency, http: http?.url });
  return {
    workers,
    deps,
    metrics,
    http,
    async close(force = false) {
      closing = true;
      // With Redis down no active job can finish (a graceful BullMQ close would wait for Redis
      // forever): hand them back at once; another worker takes them when their lock expires.
      const now = force || redisHealth.state !== 'up';
      await Promise.all(workers.map((w) => w.close(now)));
      await http?.close();
      await queues.close();
      for (const c of connections) c.disconnect();
    },
  };
}

/**
 * Configuration drift: a job carries the fingerprint of the configuration that produced it. A worker
 * whose own configuration differs warns once per distinct fingerprint (it goes on with its own
 * configuration; a job naming a source, collection or target it does not know fails with
 * ERR_UNKNOWN_SOURCE, ERR_SOURCE_UNKNOWN_COLLECTION or ERR_UNKNOWN_TARGET).
 */
function driftWarning(config: Config, logger: Logger): (job: Job<{ configFingerprint?: string | undefined }>) => void {
  const mine = configFingerprint(config);
  const warned = new Set<string>();
  return (job) => {
    const theirs = job.data.configFingerprint;
    if (theirs === undefined || theirs === mine || warned.has(theirs)) return;
    warned.add(theirs);
    logger.warn('configuration drift: this job was produced from a different configuration; restart the workers after changing the configuration', {
      jobId: job.id,
      queue: job.queueName,
      jobConfig: theirs,
      workerConfig: mine,
    });
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
