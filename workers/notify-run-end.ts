/**
 * A collect or reconcile run that failed for good raises a notification (src/notify/notify.ts): a
 * safety refusal of a reconcile (a SafetyError, carried as the FinalJobError's cause) is `run-refused`,
 * anything else `run-failed`, with the error's code and secret-free description. Called by the
 * worker's `failed` listener (start-workers.ts) once the run record says failed or refused; never
 * throws (notify never rejects).
 */
import type { Job } from 'bullmq';
import { notify, type NotifyDeps } from '../src/notify/notify.ts';
import type { NotifyEvent } from '../src/notify/notify-events.ts';
import { QUEUE, type CollectJobData, type ReconcileJobData } from '../src/pipeline/queues.ts';
import { SafetyError } from '../src/reconcile/errors/safety-error.ts';
import { describeError, jobErrorCode } from './job-signals.ts';

function runEndEvent(queue: string, data: Partial<CollectJobData & ReconcileJobData>, error: Error): NotifyEvent | undefined {
  const code = jobErrorCode(error);
  const message = describeError(error);
  const runId = typeof data.runId === 'string' ? { runId: data.runId } : {};
  if (queue === QUEUE.reconcile && typeof data.target === 'string') {
    return error instanceof SafetyError || error.cause instanceof SafetyError
      ? { kind: 'run-refused', target: data.target, code, message, ...runId }
      : { kind: 'run-failed', run: 'reconcile', name: data.target, code, message, ...runId };
  }
  if (queue === QUEUE.collect && typeof data.source === 'string') {
    return { kind: 'run-failed', run: 'collect', name: data.source, ...(typeof data.collection === 'string' ? { collection: data.collection } : {}), code, message, ...runId };
  }
  return undefined;
}

export async function notifyRunEnd(deps: NotifyDeps, queue: string, job: Job, error: Error): Promise<void> {
  const event = runEndEvent(queue, job.data as Partial<CollectJobData & ReconcileJobData>, error);
  if (event !== undefined) await notify(deps, event);
}
