/**
 * The worker process: one BullMQ Worker per queue (collect, ingest, reconcile, writeback, notify) with the configured
 * concurrency, all sharing one Redis. Several processes on one Redis share the work; a job whose
 * process dies is picked up again once its lock expires (`worker.lockDurationMs`).
 *
 * The start goes in phases, every one adding what it opened to one list of resources:
 *
 *   open       the state connection, the queues, the stage dependencies, the process metrics
 *   health     the /metrics, /healthz, /readyz server (binds before any Worker exists: a port in use
 *              fails the start at once; the caller exits 1 with ERR_OPS_LISTEN)
 *   workers    one Worker per served queue, each with its own connection, its processor wrapped by
 *              runProcessor (errors → BullMQ signals: a throttled tenant's reconcile job is delayed,
 *              never the queue) and the metrics; failure and error listeners
 *   ready      every Worker connected
 *
 * When a phase fails, everything opened so far is closed (Workers, health server, queues, every
 * connection) and the start rejects with that phase's error: a failed start leaves nothing running.
 * A run that fails for good is recorded as failed in the run store (mark-run-failed.ts), and a collect
 * or reconcile run that fails for good raises a notification (notify-run-end.ts: run-failed, or
 * run-refused for a safety refusal).
 */
import { MetricsTime, Worker, type Job } from 'bullmq';
import type { Config } from '../src/config/schema.ts';
import { coerceError } from '../src/errors/sync-error.ts';
import { getLogger, type Logger } from '../src/observability/logger.ts';
import { startHealthServer, type HealthServerHandle } from '../src/observability/health-server.ts';
import { recordThrottleDelay } from '../src/observability/metrics-store.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../src/observability/worker-metrics.ts';
import { QUEUE, bullConnection, createQueues, jobRetentionOf, type QueueName, type ReconcileJobData } from '../src/pipeline/queues.ts';
import { stateKeys } from '../src/state/redis-keys.ts';
import { safely } from '../src/pipeline/stages/record-metrics.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';
import type { RunningWorkers, WorkerOptions } from '../src/pipeline/worker-runtime.ts';
import { isRedisConnectionError, redisHealth, type RedisClient } from '../src/redis/redis-connection.ts';
import { processCollect } from './collect.ts';
import { driftWarning } from './drift-warning.ts';
import { processIngest } from './ingest.ts';
import { describeError } from './job-signals.ts';
import { markRunFailed } from './mark-run-failed.ts';
import { processReconcile } from './reconcile.ts';
import { processWriteBack } from './writeback.ts';
import { processNotify } from './notify.ts';
import { notifyRunEnd } from './notify-run-end.ts';
import { runProcessor } from './run-processor.ts';

export type { WorkerOptions } from '../src/pipeline/worker-runtime.ts';

export interface WorkerHandle extends RunningWorkers {
  workers: Worker[];
  deps: StageDeps;
  metrics: WorkerMetrics;
  /** The per-process /metrics, /healthz, /readyz server, when served. */
  http: HealthServerHandle | undefined;
}

/** Everything a start opened, in one place, so that a failed start and `close` close the same things. */
interface Opened {
  config: Config;
  logger: Logger;
  deps: StageDeps;
  metrics: WorkerMetrics;
  /** BullMQ never closes a connection it was handed: every one is kept to disconnect on close. */
  connections: RedisClient[];
  workers: Worker[];
  http: HealthServerHandle | undefined;
  closing: boolean;
  /** One drift warner for the process: one warning per distinct fingerprint, whichever queue meets it. */
  drift: ReturnType<typeof driftWarning>;
}

const ALL_QUEUES: readonly QueueName[] = [QUEUE.collect, QUEUE.ingest, QUEUE.reconcile, QUEUE.writeBack, QUEUE.notify];

export async function startWorkers(config: Config, options: WorkerOptions = {}): Promise<WorkerHandle> {
  const opened = openResources(config);
  const serve = new Set(options.queues ?? ALL_QUEUES);
  try {
    opened.http = await startHealth(opened, options);
    for (const queue of ALL_QUEUES) if (serve.has(queue)) opened.workers.push(workerFor(opened, queue));
    await Promise.all(opened.workers.map((w) => w.waitUntilReady()));
  } catch (e) {
    await closeOpened(opened, true);
    throw e;
  }
  opened.logger.info('workers started', { queues: [...serve], concurrency: config.worker.concurrency, http: opened.http?.url });
  return {
    workers: opened.workers,
    deps: opened.deps,
    metrics: opened.metrics,
    http: opened.http,
    // With Redis down no active job can finish (a graceful BullMQ close would wait for Redis
    // forever): hand them back at once; another worker takes them when their lock expires.
    close: (force = false) => closeOpened(opened, force || redisHealth.state !== 'up'),
  };
}

/** Phase open: the state connection, the queues, the stage dependencies and the metrics. */
function openResources(config: Config): Opened {
  const logger = getLogger('worker');
  const redis = bullConnection(config.redis);
  const prefix = config.redis.prefix;
  const queues = createQueues(redis, prefix, jobRetentionOf(config));
  const deps: StageDeps = { config, redis, keys: stateKeys(prefix), queues, logger, describeError };
  return { config, logger, deps, metrics: createWorkerMetrics(), connections: [redis], workers: [], http: undefined, closing: false, drift: driftWarning(config, logger) };
}

/** Phase health: the per-process probe and scrape server, unless turned off. */
async function startHealth(opened: Opened, options: WorkerOptions): Promise<HealthServerHandle | undefined> {
  const { host, port } = opened.config.worker.http;
  if (options.http === false || port === 0) return undefined;
  return startHealthServer({ host, port, registry: opened.metrics.registry, redis: opened.deps.redis, ready: () => (opened.closing ? 'shutting down' : undefined) });
}

/** Phase workers: the Worker of `queue`, its stage behind runProcessor (errors → BullMQ signals). */
function workerFor(opened: Opened, queue: QueueName): Worker {
  const { deps, drift } = opened;
  switch (queue) {
    case QUEUE.collect:
      return createWorker(opened, queue, runProcessor((job, token) => (drift(job), processCollect(job, token, deps))));
    case QUEUE.ingest:
      return createWorker(opened, queue, runProcessor((job) => processIngest(job, deps)));
    case QUEUE.reconcile:
      return createWorker(opened, queue, runProcessor((job) => (drift(job), processReconcile(job, deps)), { onThrottleDelay: throttleDelayRecorder(opened) }));
    case QUEUE.writeBack:
      return createWorker(opened, queue, runProcessor((job) => processWriteBack(job, deps)));
    case QUEUE.notify:
      return createWorker(opened, queue, runProcessor((job) => processNotify(job, deps)));
    default: {
      const never: never = queue;
      throw new Error(`unhandled queue: ${String(never)}`);
    }
  }
}

/** A reconcile job delayed for its throttled tenant: logged, and counted in the cluster-wide metrics (once per job start). */
function throttleDelayRecorder(opened: Opened): (job: Job<ReconcileJobData>, ms: number) => Promise<void> {
  const { deps, logger } = opened;
  return async (job, ms) => {
    const { target } = job.data;
    logger.warn('Graph throttled the tenant through every attempt; this job is delayed (other tenants go on)', { queue: QUEUE.reconcile, jobId: job.id, target, delayMs: ms });
    await safely(deps, logger, 'throttle delay', () => recordThrottleDelay(deps.redis, opened.config.redis.prefix, { target, ms, once: `${job.id ?? ''}:${job.attemptsStarted}` }));
  };
}

/** One Worker on a connection of its own, with the process metrics and its listeners. */
function createWorker<T, R>(opened: Opened, queue: QueueName, processor: (job: Job<T>, token?: string) => Promise<R>): Worker<T, R> {
  const { config, metrics } = opened;
  const connection = bullConnection(config.redis);
  opened.connections.push(connection);
  const worker = new Worker<T, R>(queue, metrics.wrap(queue, processor), {
    prefix: config.redis.prefix,
    metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: 3,
    connection,
    concurrency: config.worker.concurrency[queue],
  });
  metrics.observe(worker);
  listen(opened, worker);
  return worker;
}

/** Log failed attempts and worker errors; record a collect run that failed for good. */
function listen<T, R>(opened: Opened, w: Worker<T, R>): void {
  const { logger, deps } = opened;
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
    if (final && (w.name === QUEUE.collect || w.name === QUEUE.reconcile)) void notifyRunEnd(deps, w.name, job, error);
  });
  // Lost connections are logged once per state change by src/redis/redis-connection.ts.
  w.on('error', (error) => {
    if (!isRedisConnectionError(error)) logger.error('worker error', { queue: w.name, error: describeError(error) });
  });
}

/** Close everything a start opened: Workers (at once when `force`), health server, queues, connections. */
async function closeOpened(opened: Opened, force: boolean): Promise<void> {
  opened.closing = true;
  await Promise.all(opened.workers.map((w) => w.close(force)));
  await opened.http?.close();
  await opened.deps.queues.close();
  for (const c of opened.connections) c.disconnect();
}
