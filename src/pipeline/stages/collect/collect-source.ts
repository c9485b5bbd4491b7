/**
 * The collect step of a collect run: page the source (constant memory) and add ingest chunks of at
 * most `chunkSize` indicators each (the smallest objectsPerRun among the targets the collection feeds,
 * resolved when the configuration loaded) through the producer. Each start of this step bumps
 * `attempt`, and chunk job ids and staging keys carry it, so chunks of an interrupted attempt never
 * mix with the next one.
 * The source's whitelist entries (ThreatQ's whitelist: the collection's own, then those of the
 * source's `whitelistCollection`) are staged under the same attempt id (snapshot-store.ts
 * stageWhitelist, in batches) for the commit step. What the source filtered out (by reason) and the
 * whitelist entries are counted in the job data, the run record and the metrics (recordFiltered, once
 * per attempt). The thresholds' `maxAge` counts back from the run's start (the run record's startedAt,
 * the same for every attempt).
 */
import { createSource } from '../../../sources/create-source.ts';
import type { IndicatorSource } from '../../../sources/source-types.ts';
import { recordFiltered } from '../../../observability/metrics-store.ts';
import { stageWhitelist } from '../../../state/snapshot-store.ts';
import type { CompactIndicator, IngestJobData } from '../../queues.ts';
import { enqueueIngest } from '../../producer.ts';
import { writeRun } from '../../run-store.ts';
import { stageId } from '../../run-ids.ts';
import { safely } from '../record-metrics.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { CollectJob } from '../stage-job.ts';
import type { CollectRun, TimedCollectData } from './collect-run.ts';

interface PagedCounts {
  pages: number;
  seen: number;
  kept: number;
  chunks: number;
  filtered: Record<string, number>;
  whitelisted: number;
}

/** Whitelist values staged per RPUSH. */
const WHITELIST_STAGE_BATCH = 5000;

/** Runs the collect step; returns the job data of the wait step that follows (also written to the job). */
export async function collectSource(job: CollectJob<TimedCollectData>, run: CollectRun, data: TimedCollectData, deps: StageDeps): Promise<TimedCollectData> {
  const attempt = (data.attempt ?? 0) + 1;
  let next: TimedCollectData = { ...data, step: 'collect', attempt, startedAt: run.record.startedAt, collectStartMs: Date.now() };
  await job.updateData(next);
  await writeRun(deps.redis, deps.keys, run.record);
  const stage = stageId(run.runId, attempt);
  const source = createSource(run.source, run.settings.collection, { now: Date.parse(run.record.startedAt) });
  const whitelist = new WhitelistStager(deps, stage);
  const counts = await pageIntoChunks(job, run, source, stage, whitelist, deps);
  counts.whitelisted += await pageWhitelist(source, whitelist);
  await whitelist.flush();
  const { source: sourceName, collection } = run.settings;
  await safely(deps, run.log, 'filtered', () =>
    recordFiltered(deps.redis, deps.config.redis.prefix, { source: sourceName, collection, filteredByReason: counts.filtered, whitelisted: counts.whitelisted, once: `${stage}:filtered` }),
  );
  const { pages, seen, kept, chunks, filtered, whitelisted } = counts;
  next = { ...next, step: 'wait', chunks, seen, kept, filtered, whitelisted, pages, collectedMs: Date.now() };
  await job.updateData(next);
  run.log.info('collected', { pages, seen, kept, chunks, whitelisted, filtered, attempt });
  return next;
}

/** Stages whitelist values in batches under one attempt's id. */
class WhitelistStager {
  private buffer: string[] = [];
  constructor(
    private readonly deps: StageDeps,
    private readonly stage: string,
  ) {}

  async add(values: readonly string[]): Promise<void> {
    for (const v of values) this.buffer.push(v);
    if (this.buffer.length >= WHITELIST_STAGE_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    await stageWhitelist(this.deps.redis, this.deps.keys, this.stage, batch);
  }
}

/** Page the source's separate whitelist collection, if any; returns the entries staged. */
async function pageWhitelist(source: IndicatorSource, whitelist: WhitelistStager): Promise<number> {
  let n = 0;
  if (!source.whitelistPages) return n;
  for await (const page of source.whitelistPages()) {
    await whitelist.add(page.values);
    n += page.values.length;
  }
  return n;
}

/** Page the source into ingest chunks staged under `stage`. */
async function pageIntoChunks(
  job: CollectJob<TimedCollectData>,
  run: CollectRun,
  source: IndicatorSource,
  stage: string,
  whitelist: WhitelistStager,
  deps: StageDeps,
): Promise<PagedCounts> {
  const { settings } = run;
  const counts: PagedCounts = { pages: 0, seen: 0, kept: 0, chunks: 0, filtered: {}, whitelisted: 0 };
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
    await job.ensureLock('add an ingest chunk');
    await enqueueIngest(deps.queues, payload, job.parent);
    offset += buffer.length;
    counts.chunks += 1;
    buffer = [];
  };
  for await (const page of source.pages()) {
    counts.pages += 1;
    counts.seen += page.seen;
    for (const [k, n] of Object.entries(page.filtered)) counts.filtered[k] = (counts.filtered[k] ?? 0) + n;
    if (page.whitelist && page.whitelist.length > 0) {
      counts.whitelisted += page.whitelist.length;
      await whitelist.add(page.whitelist);
    }
    for (const ind of page.indicators) {
      buffer.push([ind.value, ind.type ?? null, ind.score, ind.updatedAt, ind.createdAt ?? null]);
      counts.kept += 1;
      if (buffer.length >= settings.chunkSize) await flush();
    }
    await job.updateProgress({ step: 'collect', pages: counts.pages, seen: counts.seen, kept: counts.kept, chunks: counts.chunks, total: page.total ?? null });
  }
  if (buffer.length > 0) await flush();
  return counts;
}
