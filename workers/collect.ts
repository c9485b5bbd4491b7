/**
 * The collect processor: one run of one source collection, in three steps kept in the job's data so a
 * run picked up again after a crash resumes where it was:
 *
 *   collect  page the source (constant memory) and add ingest children of at most `objectsPerRun`
 *            indicators each (the smallest value among the targets the collection feeds). Each start
 *            of this step bumps `attempt`, and chunk job ids and staging keys carry it, so chunks of an
 *            interrupted attempt never mix with the next one.
 *   wait     moveToWaitingChildren: the job sleeps until every chunk is ingested. A chunk that keeps
 *            failing fails the run (failParentOnFailure) and the last good snapshot stays.
 *   commit   merge the staged chunks of the final attempt and replace the snapshot atomically, then
 *            enqueue a reconcile of every target the collection feeds.
 *
 * The run record's details carry wall-clock step timings (`timings`, ms): collectMs (paging and adding
 * chunks, ingest overlapping it), waitMs (last chunk added → every chunk ingested and the job resumed),
 * commitMs (read staged chunks, merge, commit). Step boundaries are kept in the job data (epoch ms) so
 * they survive the wait; after a crash they describe the last attempt.
 */
import { WaitingChildrenError, type Job } from 'bullmq';
import { mergeWeighted } from '../src/ranges/index.ts';
import { createSource } from '../src/sources/create-source.ts';
import type { CollectJobData, CompactIndicator, IngestJobData } from '../src/pipeline/queues.ts';
import { ingestJobOptions, collectionsOf, enqueueReconcile } from '../src/pipeline/producer.ts';
import { commitSnapshot, readStagedTexts, stagedRanges } from '../src/pipeline/snapshot-store.ts';
import { readRejections, writeRun, type RunRecord } from '../src/pipeline/run-store.ts';
import { SyncError } from '../src/errors/sync-error.ts';
import { ingestJobId, newRunId, stageId } from '../src/pipeline/run-ids.ts';
import { findSource, findTarget, type WorkerDeps } from './worker-deps.ts';
import { recordRun } from '../src/observability/metrics-store.ts';
import { safely } from './record-metrics.ts';

export interface CollectResult {
  runId: string;
  source: string;
  collection: string;
  seen: number;
  kept: number;
  accepted: number;
  rejected: number;
  ranges: number;
  chunks: number;
  reconcileJobIds: string[];
}

export class StagingLostError extends SyncError {
  constructor(runId: string, missing: number[]) {
    super('ERR_STAGING_LOST', `run ${runId}: staged chunks ${missing.slice(0, 10).join(', ')} are missing (expired or deleted); the run is abandoned and the last good snapshot kept`, {
      retryable: false,
    });
  }
}

/** CollectJobData plus the step boundaries behind `timings` (epoch ms). */
type TimedCollectData = CollectJobData & { collectStartMs?: number; collectedMs?: number };

export async function processCollect(job: Job<CollectJobData>, token: string | undefined, deps: WorkerDeps): Promise<CollectResult | undefined> {
  const { config, redis, keys, queues, logger } = deps;
  // Made once, kept in the job's data: never derived from the job id (a scheduled job's id holds `:`).
  const runId = job.data.runId ?? newRunId('collect');
  const source = findSource(config, job.data.source);
  const collection = collectionsOf(source).find((c) => c.id === job.data.collection);
  if (!collection) throw new SyncError('ERR_SOURCE_UNKNOWN_COLLECTION', `source "${source.name}" has no collection "${job.data.collection}"`, { retryable: false });
  const targets = collection.targets.map((t) => findTarget(config, t));
  const log = logger.child({ runId, source: source.name, collection: collection.id });
  let data: TimedCollectData = { ...job.data, runId };
  const run: RunRecord = {
    id: runId,
    kind: 'collect',
    name: source.name,
    collection: collection.id,
    trigger: data.trigger,
    status: 'running',
    startedAt: data.startedAt ?? new Date().toISOString(),
    counts: {},
    details: { jobId: job.id },
  };

  if ((data.step ?? 'collect') === 'collect') {
    const attempt = (data.attempt ?? 0) + 1;
    data = { ...data, step: 'collect', attempt, startedAt: run.startedAt, collectStartMs: Date.now() };
    await job.updateData(data);
    await writeRun(redis, keys, run);
    const chunkSize = Math.min(...targets.map((t) => t.objectsPerRun));
    const options = {
      minPrefixV4: Math.max(...targets.map((t) => t.safety.minPrefixV4)),
      minPrefixV6: Math.max(...targets.map((t) => t.safety.minPrefixV6)),
      allowReserved: targets.every((t) => t.safety.allowReserved),
    };
    const stage = stageId(runId, attempt);
    const parent = { id: job.id ?? '', queue: job.queueQualifiedName };
    let chunk = 0;
    let offset = 1;
    let buffer: CompactIndicator[] = [];
    let seen = 0;
    let kept = 0;
    let pages = 0;
    const filtered: Record<string, number> = {};
    const flush = async () => {
      const payload: IngestJobData = { runId: stage, source: source.name, collection: collection.id, chunk, offset, indicators: buffer, options };
      await queues.ingest.add('ingest', payload, { ...ingestJobOptions(queues.retention), jobId: ingestJobId(stage, chunk), parent });
      offset += buffer.length;
      chunk += 1;
      buffer = [];
    };
    for await (const page of createSource(source, collection.id).pages()) {
      pages += 1;
      seen += page.seen;
      for (const [k, n] of Object.entries(page.filtered)) filtered[k] = (filtered[k] ?? 0) + n;
      for (const ind of page.indicators) {
        buffer.push([ind.value, ind.type ?? null, ind.score, ind.updatedAt]);
        kept += 1;
        if (buffer.length >= chunkSize) await flush();
      }
      await job.updateProgress({ step: 'collect', pages, seen, kept, chunks: chunk, total: page.total ?? null });
    }
    if (buffer.length > 0) await flush();
    data = { ...data, step: 'wait', chunks: chunk, seen, kept, filtered, pages, collectedMs: Date.now() };
    await job.updateData(data);
    log.info('collected', { pages, seen, kept, chunks: chunk, attempt });
  }

  if (data.step === 'wait') {
    if (token === undefined) throw new SyncError('ERR_INTERNAL', 'collect job processed without a lock token');
    const shouldWait = await job.moveToWaitingChildren(token);
    if (shouldWait) throw new WaitingChildrenError();
    data = { ...data, step: 'commit' };
    await job.updateData(data);
  }

  // commit
  const commitStartMs = Date.now();
  const attempt = data.attempt ?? 1;
  const stage = stageId(runId, attempt);
  const chunks = data.chunks ?? 0;
  const staged = await readStagedTexts(redis, keys, stage, chunks);
  if (staged.missing.length > 0) throw new StagingLostError(runId, staged.missing);
  // Decoded chunk by chunk into the merge: never every staged range as objects at once.
  const merged = mergeWeighted(stagedRanges(staged.texts));
  const rej = await readRejections(redis, keys, stage);
  const committedAt = new Date().toISOString();
  await commitSnapshot(
    redis,
    keys,
    source.name,
    collection.id,
    merged,
    { runId, committedAt, seen: data.seen ?? 0, accepted: rej.accepted, rejected: rej.rejected, ranges: merged.length },
    chunks,
    stage,
  );
  const commitMs = Date.now() - commitStartMs;
  const reconcileJobIds: string[] = [];
  for (const t of targets) {
    reconcileJobIds.push(await enqueueReconcile(queues, { target: t.name, manual: data.manual, force: false, trigger: data.trigger, runIds: [runId], configFingerprint: data.configFingerprint }));
  }
  const result: CollectResult = {
    runId,
    source: source.name,
    collection: collection.id,
    seen: data.seen ?? 0,
    kept: data.kept ?? 0,
    accepted: rej.accepted,
    rejected: rej.rejected,
    ranges: merged.length,
    chunks,
    reconcileJobIds,
  };
  const durationMs = Date.parse(committedAt) - Date.parse(run.startedAt);
  const timings = {
    collectMs: (data.collectedMs ?? commitStartMs) - (data.collectStartMs ?? commitStartMs),
    waitMs: commitStartMs - (data.collectedMs ?? commitStartMs),
    commitMs,
  };
  await writeRun(redis, keys, {
    ...run,
    status: 'succeeded',
    finishedAt: committedAt,
    counts: { seen: result.seen, kept: result.kept, accepted: result.accepted, rejected: result.rejected, ranges: result.ranges, chunks, durationMs },
    details: { jobId: job.id, stageId: stage, filtered: data.filtered ?? {}, rejectedByReason: rej.reasons, warnings: rej.warnings, timings },
  });
  await safely(log, 'run', () => recordRun(redis, config.redis.prefix, { kind: 'collect', outcome: 'succeeded', durationMs, once: runId }));
  await job.updateProgress({ step: 'done', ...result });
  log.info('run committed', { ...result, rejectedByReason: rej.reasons, durationMs });
  return result;
}
