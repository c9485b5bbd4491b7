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
 *   use attempts (the reconcile waits out the tenant's pause; stages/reconcile/run-reconcile.ts).
 * Finished jobs are kept for the dashboard as configured in `jobs:` (default a week, at most 1000
 * completed and 5000 failed per queue; `keepOptions`); ingest chunks are removed once done.
 */
import type { JobsOptions } from 'bullmq';
import type { SourceSchedule } from '../config/collections.ts';
import { DEFAULT_JOB_RETENTION, type CollectJobData, type IngestJobData, type JobRetention, type Queues, type ReconcileJobData, type Trigger } from './queues.ts';
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
export const INGEST_JOB_OPTIONS: JobsOptions = ingestJobOptions(DEFAULT_JOB_RETENTION);
export const RECONCILE_JOB_OPTIONS: JobsOptions = { attempts: 8, backoff: { type: 'exponential', delay: 15_000 }, ...keepOptions(DEFAULT_JOB_RETENTION) };

/**
 * Deduplication ids and job scheduler ids are not job ids (BullMQ allows `:` in them); names are
 * percent-encoded so a source or collection (a file path) can never make two ids collide.
 */
export function collectDedupId(source: string, collection: string): string {
  return `collect:${encodeURIComponent(source)}:${encodeURIComponent(collection)}`;
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

export async function enqueueReconcile(
  queues: Queues,
  req: { target: string; manual: boolean; force: boolean; trigger: Trigger; runIds: string[]; configFingerprint?: string | undefined },
): Promise<string> {
  const data: ReconcileJobData = { ...req };
  const job = await queues.reconcile.add('reconcile', data, {
    ...RECONCILE_JOB_OPTIONS,
    ...keepOptions(queues.retention),
    deduplication: { id: reconcileDedupId(req.target), keepLastIfActive: true },
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
