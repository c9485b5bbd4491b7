/**
 * The one place where errors become BullMQ signals (style principle 4).
 *
 *   GraphThrottledError (a request still throttled after all its attempts; single 429s are waited out
 *                                      in the reconcile, through the tenant's shared pacer)
 *                                    → ThrottleDelay: this job alone is delayed for the tenant's block
 *                                      in force (`retryAfterMs`: the grown backoff of the tenant's 429
 *                                      streak, kept in Redis for every process, graph-pacer.ts), through
 *                                      `job.moveToDelayed` + DelayedError, which keeps its attempts. The
 *                                      queue is never rate-limited: other tenants' jobs go on at once;
 *                                      other jobs of the same tenant meet the same block in the pacer.
 *   LockBusyError (another process is reconciling the same target)
 *                                    → delayed by LOCK_BUSY_DELAY_MS the same way, attempts kept
 *   JobLockLostError, or BullMQ refusing a move for a lock that is missing or another worker's
 *   (codes -2 / -6)                  → LockLostSignal (a DelayedError BullMQ only steps past): the
 *                                      worker lost the job's lock (a Redis failover, a pause past
 *                                      the lock's duration), so it must not touch the job again: no
 *                                      move with the stale token, never failed (the run record stays
 *                                      running); the stalled checker hands the job to another worker,
 *                                      which runs it again as a new attempt
 *   not retryable                    → FinalJobError (a BullMQ UnrecoverableError): the job fails at
 *                                      once with the error's code and message (Microsoft's validation
 *                                      text, a safety refusal, a missing collection, bad credentials)
 *   anything else                    → rethrown: the job's attempts and exponential backoff apply
 *
 * Without a lock token (a processor called outside a Worker) a job cannot be moved: the two delays
 * are rethrown instead, as retryable errors.
 *
 * Retryable is `SyncError.retryable` and nothing else (the code table in src/errors/error-codes.ts
 * decides it, by HTTP status for the codes it marks so); an error that is not a SyncError is retried.
 */
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { ErrorCode } from '../src/errors/error-codes.ts';
import { SyncError, coerceError, errorCodeOf } from '../src/errors/sync-error.ts';
import { GraphThrottledError } from '../src/graph/errors/graph-throttled-error.ts';
import { redactString } from '../src/observability/secrets.ts';
import { JobLockLostError } from '../src/pipeline/errors/job-lock-lost-error.ts';
import { LockBusyError } from '../src/state/errors/lock-busy-error.ts';

/** The wait when a throttled error names none. */
const DEFAULT_THROTTLE_WAIT_MS = 1000;

/** How long a reconcile whose target lock is busy waits before it tries again. */
export const LOCK_BUSY_DELAY_MS = 3000;

/**
 * The UnrecoverableError thrown for a SyncError that is not retryable: BullMQ fails the job at once
 * (it checks `instanceof UnrecoverableError`; the name stays 'UnrecoverableError' for the code that
 * checks names). The code travels as a field, the error as `cause`; the message is `describeError`'s.
 */
export class FinalJobError extends UnrecoverableError {
  readonly code: ErrorCode;

  constructor(error: SyncError) {
    super(describeError(error));
    this.name = 'UnrecoverableError';
    this.code = error.code;
    this.cause = error;
  }
}

/**
 * The DelayedError of a job delayed because Graph kept throttling its tenant. BullMQ sees a
 * DelayedError (name included); `deferral: 'throttled'` lets the process metrics tell it from other
 * delays (src/observability/worker-metrics.ts).
 */
export class ThrottleDelay extends DelayedError {
  readonly deferral = 'throttled';
  readonly waitMs: number;

  constructor(waitMs: number) {
    super(`delayed ${waitMs} ms: Graph throttled the tenant through every attempt`);
    this.name = 'DelayedError';
    this.waitMs = waitMs;
  }
}

/**
 * The signal of an attempt that lost its job's lock: BullMQ treats a DelayedError as "the processor
 * already moved the job" and leaves it alone, which is what a worker without the lock must do.
 * `deferral: 'lock-lost'` lets the process metrics tell it from other delays.
 */
export class LockLostSignal extends DelayedError {
  readonly deferral = 'lock-lost';

  constructor(message: string) {
    super(message);
    this.name = 'DelayedError';
  }
}

/** BullMQ's codes for a move refused because the job's lock is missing (-2) or another worker's (-6). */
const BULL_LOCK_CODES: ReadonlySet<unknown> = new Set([-2, -6]);

/** True when `err` says this worker no longer holds the job's lock. */
export function isLockLost(err: unknown): boolean {
  if (err instanceof JobLockLostError) return true;
  return err instanceof Error && BULL_LOCK_CODES.has((err as Error & { code?: unknown }).code);
}

/** What the signals need of a BullMQ job (a Job satisfies it). */
export interface SignalJob {
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

export interface SignalHooks<J extends SignalJob = SignalJob> {
  /** Called once a job was delayed for a throttled tenant (metrics); its errors are the caller's to swallow. */
  onThrottleDelay?: (job: J, ms: number) => Promise<void>;
}

export function isRetryable(err: Error): boolean {
  if (err instanceof UnrecoverableError) return false;
  return err instanceof SyncError ? err.retryable : true;
}

function throttleWaitMs(err: Error): number | undefined {
  if (!(err instanceof GraphThrottledError)) return undefined;
  return err.retryAfterMs > 0 ? err.retryAfterMs : DEFAULT_THROTTLE_WAIT_MS;
}

/** A one-line, secret-free description: `<code>: <message>`. */
export function describeError(err: Error): string {
  const code = err instanceof SyncError ? `${err.code}: ` : '';
  return redactString(`${code}${err.message}`);
}

/**
 * The code of a failed job's error as a processor or BullMQ hands it back: a SyncError's code, the code
 * a FinalJobError carries, else `fallback`.
 */
export function jobErrorCode(err: unknown, fallback: ErrorCode = 'ERR_RUN_FAILED'): ErrorCode {
  return err instanceof FinalJobError ? err.code : errorCodeOf(err, fallback);
}

/**
 * Translate a processor failure into what BullMQ should do with the job. Always throws. `job` and
 * `token` are the processor's (a delay needs both).
 */
export async function throwJobSignal<J extends SignalJob>(error: unknown, job?: J, token?: string, hooks: SignalHooks<J> = {}): Promise<never> {
  const err = coerceError(error);
  if (isLockLost(error)) throw new LockLostSignal(describeError(err));
  const canDelay = job !== undefined && token !== undefined;
  const wait = throttleWaitMs(err);
  if (wait !== undefined && canDelay) {
    await delayJob(job, Date.now() + wait, token);
    await hooks.onThrottleDelay?.(job, wait);
    throw new ThrottleDelay(wait);
  }
  if (err instanceof LockBusyError && canDelay) {
    await delayJob(job, Date.now() + LOCK_BUSY_DELAY_MS, token);
    throw new DelayedError();
  }
  if (!isRetryable(err)) throw err instanceof SyncError ? new FinalJobError(err) : new UnrecoverableError(describeError(err));
  throw err;
}

/** moveToDelayed; a refusal for a lost lock becomes the lost-lock signal (the job is not ours to move). */
async function delayJob(job: SignalJob, timestamp: number, token: string): Promise<void> {
  try {
    await job.moveToDelayed(timestamp, token);
  } catch (e) {
    if (isLockLost(e)) throw new LockLostSignal(describeError(coerceError(e)));
    throw e;
  }
}
