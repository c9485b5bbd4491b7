/**
 * Delivering one queued notification (the `notify` queue's job; workers/notify.ts): find the target
 * by name in the configuration (its URL is read here, never from job data), format the body for its
 * kind (notify-format.ts), POST it with got: one request per attempt (BullMQ's attempts and
 * exponential backoff retry, never got), a DELIVERY_TIMEOUT_MS timeout, no redirects followed.
 *
 *   2xx                               delivered (counted `sent`)
 *   408, 429, 5xx, timeout, no answer NotifyHttpError, retryable: the job's next attempt after its
 *                                     backoff (counted `retried`; `failed` once attempts are used up)
 *   any other 4xx                     NotifyHttpError, final (a revoked or mistyped webhook URL)
 *   the target is gone                NotifyUnknownTargetError, final
 *
 * A 429's Retry-After is not honoured: the backoff (from the target's `backoff`, doubling) applies.
 * A notification that fails for good gives its dedup window back (`releaseWindow`: only while the
 * window is still the one this job claimed), so the next occurrence of the condition is sent.
 * Log lines and errors name the target and its kind, never its URL; the URL is registered as a
 * secret at load (config/load-config.ts) should any library print it.
 */
import got, { RequestError } from 'got';
import type { NotifyTargetConfig } from '../config/schema.ts';
import { SyncError } from '../errors/sync-error.ts';
import type { Logger } from '../observability/logger.ts';
import { recordNotification, type NotificationOutcome } from '../observability/metrics-store.ts';
import type { NotifyJobData } from '../pipeline/queues.ts';
import type { StageDeps } from '../pipeline/stages/stage-deps.ts';
import { NotifyHttpError } from './errors/notify-http-error.ts';
import { NotifyUnknownTargetError } from './errors/notify-unknown-target-error.ts';
import { conditionOf, decodeNotifyEvent, type NotifyEvent } from './notify-events.ts';
import { notifyWindowKey } from './notify.ts';
import { formatNotification } from './notify-format.ts';

/** The longest one delivery attempt may take. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** What the delivery needs of its BullMQ job (a Job satisfies it). */
export interface NotifyJob {
  readonly id?: string | undefined;
  readonly data: NotifyJobData;
  /** Attempts started so far, this one included. */
  readonly attemptsStarted: number;
  readonly opts: { readonly attempts?: number | undefined };
}

export interface DeliveryResult {
  target: string;
  event: string;
  status: number;
}

function targetOf(deps: StageDeps, name: string): NotifyTargetConfig {
  const target = deps.config.notify.find((t) => t.name === name);
  if (target === undefined) {
    const known = deps.config.notify.map((t) => t.name).join(', ') || 'none';
    throw new NotifyUnknownTargetError(`a queued notification names notify target "${name}", which the configuration does not define (known: ${known})`);
  }
  return target;
}

async function post(target: NotifyTargetConfig, body: unknown): Promise<number> {
  try {
    const res = await got.post(target.url, { json: body, throwHttpErrors: false, followRedirect: false, retry: { limit: 0 }, timeout: { request: DELIVERY_TIMEOUT_MS } });
    return res.statusCode;
  } catch (e) {
    // Only the error's code: a library's message may quote the URL.
    const network = e instanceof RequestError ? e.code : undefined;
    throw new NotifyHttpError({ target: target.name, kind: target.kind, status: 0, network });
  }
}

async function count(deps: StageDeps, log: Logger, kind: string, outcome: NotificationOutcome, once: string): Promise<void> {
  try {
    await recordNotification(deps.redis, deps.config.redis.prefix, { kind, outcome, once });
  } catch (e) {
    log.warn('could not record a notification metric', { error: deps.describeError(e instanceof Error ? e : new Error(String(e))) });
  }
}

/** Compare-and-delete: the window key is deleted only while it holds this job's claim (`at`). */
const RELEASE_IF_OURS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

async function releaseWindow(deps: StageDeps, log: Logger, target: string, event: NotifyEvent, at: string): Promise<void> {
  const key = notifyWindowKey(deps.config.redis.prefix, target, conditionOf(event));
  try {
    if (Number(await deps.redis.eval(RELEASE_IF_OURS, 1, key, at)) === 1) log.info('notification failed for good: its window is given back, the next occurrence is sent');
  } catch (e) {
    log.warn('could not give the notification window back', { error: deps.describeError(e instanceof Error ? e : new Error(String(e))) });
  }
}

export async function deliverNotification(job: NotifyJob, deps: StageDeps): Promise<DeliveryResult> {
  const target = targetOf(deps, job.data.target);
  const event = decodeNotifyEvent(job.data.event);
  const log = deps.logger.child({ queue: 'notify', jobId: job.id, target: target.name, kind: target.kind, event: event.kind });
  const once = `${job.id ?? ''}:${job.attemptsStarted}`;
  try {
    const status = await post(target, formatNotification(target, event, job.data.at));
    if (status < 200 || status >= 300) throw new NotifyHttpError({ target: target.name, kind: target.kind, status });
    await count(deps, log, target.kind, 'sent', once);
    log.info('notification sent', { status, attempt: job.attemptsStarted });
    return { target: target.name, event: event.kind, status };
  } catch (e) {
    const final = !(e instanceof SyncError && e.retryable) || job.attemptsStarted >= (job.opts.attempts ?? 1);
    await count(deps, log, target.kind, final ? 'failed' : 'retried', once);
    if (final) await releaseWindow(deps, log, target.name, event, job.data.at);
    throw e;
  }
}
