/**
 * Every processor runs inside `runProcessor`, which lets BullMQ's own control-flow errors through
 * (waiting for children, delayed, rate-limited) and hands everything else to `throwJobSignal`
 * (workers/job-signals.ts: the single error → BullMQ signal mapping).
 */
import { DelayedError, RateLimitError, WaitingChildrenError, type Job, type Queue } from 'bullmq';
import { throwJobSignal } from './job-signals.ts';

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
