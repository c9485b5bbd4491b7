/**
 * The collect stage: one run of one source collection, in three steps kept in the job's data so a run
 * picked up again after a crash resumes where it was:
 *
 *   collect  page the source and add ingest chunks (collect-source.ts)
 *   wait     the job sleeps until every chunk is ingested (`waiting`: the worker hands the job back to
 *            BullMQ). A chunk that keeps failing fails the run (failParentOnFailure) and the last good
 *            snapshot stays.
 *   commit   merge the staged chunks of the final attempt, replace the snapshot atomically, enqueue a
 *            reconcile of every target the collection feeds (commit-run.ts)
 *
 * The run record's details carry wall-clock step timings (`timings`, ms): collectMs (paging and adding
 * chunks, ingest overlapping it), waitMs (last chunk added → every chunk ingested and the job resumed),
 * commitMs (read staged chunks, merge, commit). After a crash they describe the last attempt.
 */
import { UnknownCollectionError } from '../../../sources/errors/unknown-collection-error.ts';
import { findSource } from '../../../config/find-target.ts';
import type { CollectJobData } from '../../queues.ts';
import { newRunId } from '../../run-ids.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { CollectJob } from '../stage-job.ts';
import { collectSource } from './collect-source.ts';
import { commitRun } from './commit-run.ts';
import type { CollectResult, CollectRun, TimedCollectData } from './collect-run.ts';

export type { CollectResult } from './collect-run.ts';

/** `waiting`: ingest chunks are still running; the job sleeps until they are done, then runs again. */
export type CollectOutcome = { status: 'waiting' } | { status: 'done'; result: CollectResult };

export async function runCollect(job: CollectJob<CollectJobData>, deps: StageDeps): Promise<CollectOutcome> {
  const run = openRun(job, deps);
  let data: TimedCollectData = { ...job.data, runId: run.runId };
  if ((data.step ?? 'collect') === 'collect') data = await collectSource(job, run, data, deps);
  if (data.step === 'wait') {
    if (await job.moveToWaitingChildren()) return { status: 'waiting' };
    data = { ...data, step: 'commit' };
    await job.updateData(data);
  }
  await job.ensureLock('commit');
  return { status: 'done', result: await commitRun(job, run, data, deps) };
}

/** The run this job is (or resumes): its id, source, resolved collection settings and run record. */
function openRun(job: CollectJob<CollectJobData>, deps: StageDeps): CollectRun {
  const { config, logger } = deps;
  // Made once, kept in the job's data: never derived from the job id (a scheduled job's id holds `:`).
  const runId = job.data.runId ?? newRunId('collect');
  const source = findSource(config, job.data.source);
  const settings = config.resolved.collections.find((c) => c.source === source.name && c.collection === job.data.collection);
  if (!settings) {
    const known = config.resolved.collections.filter((c) => c.source === source.name).map((c) => c.collection);
    throw new UnknownCollectionError(source.name, job.data.collection, known);
  }
  const log = logger.child({ runId, source: source.name, collection: settings.collection });
  const record = {
    id: runId,
    kind: 'collect' as const,
    name: source.name,
    collection: settings.collection,
    trigger: job.data.trigger,
    status: 'running' as const,
    startedAt: job.data.startedAt ?? new Date().toISOString(),
    counts: {},
    details: { jobId: job.id },
  };
  return { runId, source, settings, log, record };
}
