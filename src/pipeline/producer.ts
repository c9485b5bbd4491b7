/**
 * Producing jobs: default job options per queue, and every job the service makes is added here: a run
 * of a source collection (CLI, demo; on a schedule: the job scheduler `scheduleCollect` upserts, kept
 * in step with the configuration by scheduler.ts), the ingest chunks of a run (the collect stage), a
 * reconcile of a target (CLI, the collect stage's commit).
 *
 * - collect: 3 attempts, exponential backoff from 10 s. Deduplicated per source collection, keeping
 *   the last request made while one is active (BullMQ `keepLastIfActive`).
 * - ingest: children of their collect job (`failParentOnFailure`: a chunk that keeps failing fails the
 *   run, so the last good snapshot stays); 5 attempts, backoff from 2 s.
 * - reconcile: deduplicated per target (`keepLastIfActive`): bursts from many sources collapse into at
 *   most one waiting and one active run per target; 8 attempts, backoff from 15 s. Graph 429s do not
 *   use attempts (the reconcile waits out the tenant's pause; a request throttled through all its
 *   attempts delays the job, never the queue: stages/reconcile/run-reconcile.ts).
 *   A commit's reconcile is debounced (configuration `pipeline.reconcileWindow`, `reconcileMaxWait`;
 *   `enqueueReconcile`): see ReconcileDebounce.
 * - writeback: deduplicated per ThreatQ source (`keepLastIfActive`), added after a successful
 *   reconcile (`enqueueWriteBack`); 5 attempts, backoff from 30 s (an attempt resumes where the last
 *   stopped: the write-back record holds what was written).
 * - notify: one job per notification to one `notify:` target (`enqueueNotify`, called by src/notify/
 *   notify.ts once the target's dedup window let the event through); the target's `attempts` and
 *   exponential `backoff` (a 4xx other than 408/429 fails at once: ERR_NOTIFY_HTTP).
 * Finished jobs are kept for the dashboard as configured in `jobs:` (default a week, at most 1000
 * completed and 5000 failed per queue; `keepOptions`); ingest chunks are removed once done.
 */
import { Job, type JobsOptions } from 'bullmq';
import type { Config } from '../config/schema.ts';
import type { SourceSchedule } from '../config/collections.ts';
import { DEFAULT_JOB_RETENTION, type CollectJobData, type IngestJobData, type JobRetention, type NotifyJobData, type Queues, type ReconcileJobData, type Trigger, type WriteBackJobData } from './queues.ts';
import { ingestJobId } from './run-ids.ts';

/** removeOnComplete / removeOnFail for a retention. */
export function keepOptions(r: JobRetention): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  const age = Math.ceil(r.keepForMs / 1000);
  return { removeOnComplete: { count: r.keepCompleted, age }, removeOnFail: { count: r.keepFailed, age } };
}

export const COLLECT_JOB_OPTIONS: JobsOptions = { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, ...keepOptions(DEFAULT_JOB_RETENTION) };
export function ingestJobOptions(r: JobRetention): JobsOptions {
  return { attempts: 5, backoff: { type: 'exponential', delay: 2000 }, failParentOnFailure: true, removeOnComplete: true, removeOnFail: keepOptions(r).removeOnFail };
}
export const RECONCILE_JOB_OPTIONS: JobsOptions = { attempts: 8, backoff: { type: 'exponential', delay: 15_000 }, ...keepOptions(DEFAULT_JOB_RETENTION) };
export const WRITEBACK_JOB_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 30_000 }, ...keepOptions(DEFAULT_JOB_RETENTION) };

const COLLECT_ID_PREFIX = 'collect:';

/**
 * Deduplication ids and job scheduler ids are not job ids (BullMQ allows `:` in them); names are
 * percent-encoded so a source or collection (a file path) can never make two ids collide.
 */
export function collectDedupId(source: string, collection: string): string {
  return `${COLLECT_ID_PREFIX}${encodeURIComponent(source)}:${encodeURIComponent(collection)}`;
}

/** Is this job scheduler id one of the service's collect schedulers (made by scheduleCollect)? */
export function isCollectSchedulerId(id: string): boolean {
  return id.startsWith(COLLECT_ID_PREFIX);
}

export function reconcileDedupId(target: string): string {
  return `reconcile:${encodeURIComponent(target)}`;
}

export async function enqueueCollect(
  queues: Queues,
  req: { source: string; collection: string; manual: boolean; trigger: Trigger; configFingerprint?: string },
): Promise<string> {
  const data: CollectJobData = { source: req.source, collection: req.collection, manual: req.manual, trigger: req.trigger, configFingerprint: req.configFingerprint };
  const job = await queues.collect.add('collect', data, {
    ...COLLECT_JOB_OPTIONS,
    ...keepOptions(queues.retention),
    deduplication: { id: collectDedupId(req.source, req.collection), keepLastIfActive: true },
  });
  return job.id ?? '';
}

/**
 * Debouncing a commit's reconcile (BullMQ deduplication with `delay` and `reschedule`): the first
 * commit for a target queues its reconcile delayed by `windowMs`; each further commit while that job
 * is still delayed moves its start to `windowMs` after itself and joins it (same job; its run ids
 * and `manual` are added: joinWindow), so commits within the window of each other make one
 * reconcile, which reads every committed snapshot when it runs. The start is never moved past `maxWaitMs` after the job was made, so a steady stream of
 * commits cannot postpone it for ever. A commit while the target's reconcile is running is kept by
 * `keepLastIfActive`: BullMQ queues one more reconcile (delayed by the window) when the running one
 * ends, so no commit is ever left unreconciled. A job delayed for another reason (a retry's backoff,
 * a busy target lock) keeps its timing. `windowMs` 0: no delay (the behaviour before debouncing).
 */
export interface ReconcileDebounce {
  windowMs: number;
  maxWaitMs: number;
}

/** The debounce the configuration asks for (`pipeline.reconcileWindow`, `pipeline.reconcileMaxWait`). */
export function reconcileDebounceOf(config: Pick<Config, 'pipeline'>): ReconcileDebounce {
  return { windowMs: config.pipeline.reconcileWindow, maxWaitMs: config.pipeline.reconcileMaxWait };
}

/**
 * A reconcile of a target: at once (the CLI's reconcile of a target nothing feeds), or, with a
 * `debounce`, after the window (a collect run's commit). Returns the id of the job that will run it
 * (an existing one when deduplicated).
 */
export async function enqueueReconcile(
  queues: Queues,
  req: { target: string; manual: boolean; force: boolean; trigger: Trigger; runIds: string[]; configFingerprint?: string | undefined },
  debounce?: ReconcileDebounce,
): Promise<string> {
  const data: ReconcileJobData = { ...req };
  const id = reconcileDedupId(req.target);
  const timing = debounce !== undefined && debounce.windowMs > 0 ? await debounceTiming(queues, id, debounce) : undefined;
  const job = await queues.reconcile.add('reconcile', data, {
    ...RECONCILE_JOB_OPTIONS,
    ...keepOptions(queues.retention),
    deduplication: { id, keepLastIfActive: true, ...(timing?.reschedule === true ? { reschedule: true } : {}) },
    ...(timing === undefined ? {} : { delay: timing.delayMs }),
  });
  const windowing = timing?.windowing;
  if (windowing !== undefined && job.id === windowing.id) await joinWindow(windowing, data);
  return job.id ?? '';
}

interface DebounceTiming {
  delayMs: number;
  /** Move a job still waiting out its window (BullMQ `reschedule`); false for one delayed for another reason. */
  reschedule: boolean;
  /** That job, when there is one: this request joins it. */
  windowing?: Job<ReconcileJobData>;
}

/**
 * The delay of a debounced request, and the pending job it may move: only a job still waiting out
 * its window (delayed, never started) is moved, and never past `maxWaitMs` after it was made.
 */
async function debounceTiming(queues: Queues, dedupId: string, debounce: ReconcileDebounce): Promise<DebounceTiming> {
  const pendingId = await queues.reconcile.getDeduplicationJobId(dedupId);
  const pending = pendingId === null ? undefined : await Job.fromId(queues.reconcile, pendingId);
  // None pending: a new job (should another producer make one first, this request moves it).
  if (pending === undefined) return { delayMs: debounce.windowMs, reschedule: true };
  if (pending.attemptsStarted > 0 || (await pending.getState()) !== 'delayed') return { delayMs: debounce.windowMs, reschedule: false };
  const untilMaxWait = pending.timestamp + debounce.maxWaitMs - Date.now();
  return { delayMs: Math.max(0, Math.min(debounce.windowMs, untilMaxWait)), reschedule: true, windowing: pending };
}

/**
 * A request that joined a windowing job adds to its data what the one reconcile must honour: its
 * runs (reports) and `manual` (a manual run's clearOnManualRun must not be lost to a scheduled run
 * that committed a moment earlier). Done after the job was moved; should it have started in between,
 * that run read the committed snapshots anyway.
 */
async function joinWindow(job: Job<ReconcileJobData>, req: ReconcileJobData): Promise<void> {
  const runIds = [...new Set([...job.data.runIds, ...req.runIds])];
  const manual = job.data.manual || req.manual;
  if (manual === job.data.manual && runIds.length === job.data.runIds.length) return;
  await job.updateData({ ...job.data, manual, runIds });
}

export function writeBackDedupId(source: string): string {
  return `writeback:${encodeURIComponent(source)}`;
}

/**
 * The write-back of a ThreatQ source after a reconcile of `target`: one job per source, all its
 * collections in one pass (deduplicated: a request while one waits joins it; one while it runs queues
 * one more).
 * Returns the id of the job that will run it.
 */
export async function enqueueWriteBack(queues: Queues, req: { source: string; target: string }): Promise<string> {
  const data: WriteBackJobData = { source: req.source, targets: [req.target] };
  const job = await queues.writeBack.add('writeback', data, {
    ...WRITEBACK_JOB_OPTIONS,
    ...keepOptions(queues.retention),
    deduplication: { id: writeBackDedupId(req.source), keepLastIfActive: true },
  });
  return job.id ?? '';
}

/**
 * One notification to one `notify:` target, retried `attempts` times with exponential backoff from
 * `backoffMs` (the target's settings). Never deduplicated here: the caller's dedup window decides.
 */
export async function enqueueNotify(queues: Queues, data: NotifyJobData, retry: { attempts: number; backoffMs: number }): Promise<string> {
  const job = await queues.notify.add('notify', data, {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    ...keepOptions(queues.retention),
  });
  return job.id ?? '';
}

/**
 * One ingest chunk of a collect run, as a child of the run's job (`parent`: its id and its queue's
 * qualified name). Its job id is made from the chunk's staging id and number (run-ids.ts), so adding it
 * twice adds it once.
 */
export async function enqueueIngest(queues: Queues, data: IngestJobData, parent: { id: string; queue: string }): Promise<void> {
  await queues.ingest.add('ingest', data, { ...ingestJobOptions(queues.retention), jobId: ingestJobId(data.runId, data.chunk), parent });
}

/**
 * The job scheduler of a scheduled source collection (id `collect:<source>:<collection>`, the
 * collection's dedup id): BullMQ makes its collect jobs from this template, `every` schedules at once,
 * cron ones at the next match (UTC). Returns the scheduler id.
 */
export async function scheduleCollect(
  queues: Queues,
  req: { source: string; collection: string; schedule: SourceSchedule; configFingerprint: string },
  retention: JobRetention,
): Promise<string> {
  const schedulerId = collectDedupId(req.source, req.collection);
  const data: CollectJobData = { source: req.source, collection: req.collection, manual: false, trigger: 'schedule', configFingerprint: req.configFingerprint };
  const repeat = req.schedule.kind === 'every' ? { every: req.schedule.everyMs } : { pattern: req.schedule.cron, tz: 'UTC' };
  const { attempts, backoff } = COLLECT_JOB_OPTIONS;
  const { removeOnComplete, removeOnFail } = keepOptions(retention);
  await queues.collect.upsertJobScheduler(schedulerId, repeat, { name: 'collect', data, opts: { attempts, backoff, removeOnComplete, removeOnFail } });
  return schedulerId;
}
