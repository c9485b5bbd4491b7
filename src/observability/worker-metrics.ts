/**
 * Per-process metrics of a worker replica, served on its own `/metrics` (health-server.ts): the
 * prom-client default metrics under their standard names (`process_*`, `nodejs_*`, so stock Node.js
 * dashboards work), plus:
 *
 *   tq_entra_worker_jobs_total{queue,outcome}   counter  outcome: completed | failed (for good) |
 *                                                          retried (an attempt failed, will retry) |
 *                                                          deferred (handed back: waiting for
 *                                                          children, or delayed, e.g. a busy target
 *                                                          lock) | throttled (delayed because Graph
 *                                                          throttled its tenant through every attempt
 *                                                          of a request; only that job waits, the
 *                                                          queue is never rate-limited) | stalled
 *   tq_entra_worker_active_jobs{queue}          gauge    jobs this process is running now
 *
 * Two ways to feed them, meant to be used together:
 *   - `observe(worker)` listens to the Worker's `completed`, `failed` and `stalled` events;
 *   - `wrap(queue, processor)` wraps the processor: it counts active jobs exactly (BullMQ emits no
 *     event when a job leaves a worker by waiting for children or a delay, so an event-based gauge
 *     would drift) and the `deferred` and `throttled` outcomes. A throttled delay is a DelayedError
 *     marked `deferral: 'throttled'` (workers/job-signals.ts `ThrottleDelay`).
 * One Registry per call, so tests and several workers in one process do not collide.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Job, Processor, Worker } from 'bullmq';

export type JobOutcome = 'completed' | 'failed' | 'retried' | 'deferred' | 'throttled' | 'stalled';

export interface WorkerMetrics {
  registry: Registry;
  /** Count a worker's completed, failed (final or to be retried) and stalled jobs. Returns a remover. */
  observe(worker: Worker): () => void;
  /** A processor that keeps tq_entra_worker_active_jobs and the `deferred` and `throttled` outcomes for `queue`. */
  wrap<T, R>(queue: string, processor: (job: Job<T>, token?: string) => Promise<R>): Processor<T, R>;
}

export interface WorkerMetricsOptions {
  /** Collect prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** Labels added to every series (e.g. { replica: hostname }). */
  labels?: Record<string, string>;
}

/** Errors by which a processor hands its job back to BullMQ rather than failing it. */
const DEFERRING = new Set(['WaitingChildrenError', 'DelayedError', 'WaitingError']);

/** `throttled` for a job delayed because its tenant stayed throttled, `deferred` for any other hand-back, else undefined. */
function deferralOutcome(e: unknown): JobOutcome | undefined {
  if (!(e instanceof Error) || !DEFERRING.has(e.name)) return undefined;
  return (e as { deferral?: unknown }).deferral === 'throttled' ? 'throttled' : 'deferred';
}

function isFinalFailure(job: Job | undefined, error: Error): boolean {
  if (!job) return true;
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

export function createWorkerMetrics(options: WorkerMetricsOptions = {}): WorkerMetrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const jobs = new Counter({
    name: 'tq_entra_worker_jobs_total',
    help: 'Jobs this worker process finished handling, by queue and outcome.',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const active = new Gauge({
    name: 'tq_entra_worker_active_jobs',
    help: 'Jobs this worker process is running now, by queue.',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const count = (queue: string, outcome: JobOutcome) => jobs.inc({ queue, outcome });

  return {
    registry,
    observe(worker) {
      const queue = worker.name;
      active.set({ queue }, 0);
      const onCompleted = () => count(queue, 'completed');
      const onFailed = (job: Job | undefined, error: Error) => count(queue, isFinalFailure(job, error) ? 'failed' : 'retried');
      const onStalled = () => count(queue, 'stalled');
      worker.on('completed', onCompleted);
      worker.on('failed', onFailed);
      worker.on('stalled', onStalled);
      return () => {
        worker.off('completed', onCompleted);
        worker.off('failed', onFailed);
        worker.off('stalled', onStalled);
      };
    },
    wrap(queue, processor) {
      active.set({ queue }, 0);
      return async (job, token) => {
        active.inc({ queue });
        try {
          return await processor(job, token);
        } catch (e) {
          const outcome = deferralOutcome(e);
          if (outcome !== undefined) count(queue, outcome);
          throw e;
        } finally {
          active.dec({ queue });
        }
      };
    },
  };
}
