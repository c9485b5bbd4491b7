/**
 * Producing jobs: default job options per queue, and the two ways work enters the pipeline
 * (a run of a source collection; a reconcile of a target).
 *
 * - collect: 3 attempts, exponential backoff from 10 s. Deduplicated per source collection, keeping
 *   the last request made while one is active (BullMQ `keepLastIfActive`).
 * - ingest: children of their collect job (`failParentOnFailure`: a chunk that keeps failing fails the
 *   run, so the last good snapshot stays); 5 attempts, backoff from 2 s.
 * - reconcile: deduplicated per target (`keepLastIfActive`): bursts from many sources collapse into at
 *   most one waiting and one active run per target; 8 attempts, backoff from 15 s. Graph 429s do not
 *   use attempts (the queue is rate-limited instead).
 * Finished jobs are kept for a week (1000 completed, 5000 failed per queue) for the dashboard.
 */
import type { JobsOptions } from 'bullmq';
import type { Config, SourceConfig } from '../config/schema.ts';
import type { CollectJobData, Queues, ReconcileJobData, Trigger } from './queues.ts';

const KEEP = { removeOnComplete: { count: 1000, age: 7 * 24 * 3600 }, removeOnFail: { count: 5000, age: 7 * 24 * 3600 } };

export const COLLECT_JOB_OPTIONS: JobsOptions = { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, ...KEEP };
export const INGEST_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  failParentOnFailure: true,
  removeOnComplete: true,
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};
export const RECONCILE_JOB_OPTIONS: JobsOptions = { attempts: 8, backoff: { type: 'exponential', delay: 15_000 }, ...KEEP };

/** The (source, collection) pairs a source defines, with their schedules. A file source has one collection: its path. */
export function collectionsOf(source: SourceConfig): { id: string; targets: readonly string[]; schedule: SourceSchedule | undefined }[] {
  return source.kind === 'file'
    ? [{ id: source.path, targets: source.targets, schedule: source.schedule }]
    : source.collections.map((c) => ({ id: c.id, targets: c.targets, schedule: c.schedule }));
}

type SourceSchedule = Extract<SourceConfig, { kind: 'file' }>['schedule'];

/** Every source collection feeding a target. */
export function feedersOf(config: Config, target: string): { source: string; collection: string }[] {
  const out: { source: string; collection: string }[] = [];
  for (const s of config.sources) for (const c of collectionsOf(s)) if (c.targets.includes(target)) out.push({ source: s.name, collection: c.id });
  return out;
}

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
    deduplication: { id: reconcileDedupId(req.target), keepLastIfActive: true },
  });
  return job.id ?? '';
}
