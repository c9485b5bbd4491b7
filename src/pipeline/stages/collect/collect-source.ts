/**
 * The collect step of a collect run: page the source (constant memory) and add ingest chunks of at
 * most `chunkSize` indicators each (the smallest objectsPerRun among the targets the collection feeds,
 * resolved when the configuration loaded) through the producer. Each start of this step bumps
 * `attempt`, and chunk job ids and staging keys carry it, so chunks of an interrupted attempt never
 * mix with the next one.
 */
import { createSource } from '../../../sources/create-source.ts';
import type { CompactIndicator, IngestJobData } from '../../queues.ts';
import { enqueueIngest } from '../../producer.ts';
import { writeRun } from '../../run-store.ts';
import { stageId } from '../../run-ids.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { CollectJob } from '../stage-job.ts';
import type { CollectRun, TimedCollectData } from './collect-run.ts';

interface PagedCounts {
  pages: number;
  seen: number;
  kept: number;
  chunks: number;
  filtered: Record<string, number>;
}

/** Runs the collect step; returns the job data of the wait step that follows (also written to the job). */
export async function collectSource(job: CollectJob<TimedCollectData>, run: CollectRun, data: TimedCollectData, deps: StageDeps): Promise<TimedCollectData> {
  const attempt = (data.attempt ?? 0) + 1;
  let next: TimedCollectData = { ...data, step: 'collect', attempt, startedAt: run.record.startedAt, collectStartMs: Date.now() };
  await job.updateData(next);
  await writeRun(deps.redis, deps.keys, run.record);
  const counts = await pageIntoChunks(job, run, stageId(run.runId, attempt), deps);
  next = { ...next, step: 'wait', chunks: counts.chunks, seen: counts.seen, kept: counts.kept, filtered: counts.filtered, pages: counts.pages, collectedMs: Date.now() };
  await job.updateData(next);
  run.log.info('collected', { pages: counts.pages, seen: counts.seen, kept: counts.kept, chunks: counts.chunks, attempt });
  return next;
}

/** Page the source into ingest chunks staged under `stage`. */
async function pageIntoChunks(job: CollectJob<TimedCollectData>, run: CollectRun, stage: string, deps: StageDeps): Promise<PagedCounts> {
  const { settings } = run;
  const counts: PagedCounts = { pages: 0, seen: 0, kept: 0, chunks: 0, filtered: {} };
  let offset = 1;
  let buffer: CompactIndicator[] = [];
  const flush = async () => {
    const payload: IngestJobData = {
      runId: stage,
      source: settings.source,
      collection: settings.collection,
      chunk: counts.chunks,
      offset,
      indicators: buffer,
      options: { ...settings.parseOptions },
    };
    await enqueueIngest(deps.queues, payload, job.parent);
    offset += buffer.length;
    counts.chunks += 1;
    buffer = [];
  };
  for await (const page of createSource(run.source, settings.collection).pages()) {
    counts.pages += 1;
    counts.seen += page.seen;
    for (const [k, n] of Object.entries(page.filtered)) counts.filtered[k] = (counts.filtered[k] ?? 0) + n;
    for (const ind of page.indicators) {
      buffer.push([ind.value, ind.type ?? null, ind.score, ind.updatedAt]);
      counts.kept += 1;
      if (buffer.length >= settings.chunkSize) await flush();
    }
    await job.updateProgress({ step: 'collect', pages: counts.pages, seen: counts.seen, kept: counts.kept, chunks: counts.chunks, total: page.total ?? null });
  }
  if (buffer.length > 0) await flush();
  return counts;
}
