/**
 * The notify processor: one queued notification delivered (src/notify/deliver-notification.ts) on a
 * BullMQ job. Its errors become BullMQ signals in workers/job-signals.ts like every processor's:
 * ERR_NOTIFY_HTTP retries by status (408, 429, 5xx, no answer: the job's attempts and backoff; another
 * 4xx: final), ERR_NOTIFY_UNKNOWN_TARGET fails at once.
 */
import type { Job } from 'bullmq';
import { deliverNotification, type DeliveryResult } from '../src/notify/deliver-notification.ts';
import type { NotifyJobData } from '../src/pipeline/queues.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';

export function processNotify(job: Job<NotifyJobData>, deps: StageDeps): Promise<DeliveryResult> {
  return deliverNotification(job, deps);
}
