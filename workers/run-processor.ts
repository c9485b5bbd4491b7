/**
 * Every processor runs inside `runProcessor`, which lets BullMQ's own control-flow errors through
 * (waiting for children, delayed) and hands everything else, with the job and its lock token, to
 * `throwJobSignal` (workers/job-signals.ts: the single error → BullMQ signal mapping; a throttled
 * tenant's job is delayed there, never the queue).
 */
import { DelayedError, WaitingChildrenError, type Job } from 'bullmq';
import { throwJobSignal, type SignalHooks } from './job-signals.ts';

function isControlFlow(e: unknown): boolean {
  return e instanceof WaitingChildrenError || e instanceof DelayedError;
}

export function runProcessor<T, R>(
  fn: (job: Job<T>, token: string | undefined) => Promise<R>,
  hooks: SignalHooks<Job<T>> = {},
): (job: Job<T>, token?: string) => Promise<R> {
  return async (job, token) => {
    try {
      return await fn(job, token);
    } catch (e) {
      if (isControlFlow(e)) throw e;
      return throwJobSignal(e, job, token, hooks);
    }
  };
}
