/**
 * The commit step of a collect run: merge the staged chunks of the final attempt and replace the
 * source collection's snapshot atomically, then enqueue a reconcile of every target the collection
 * feeds (debounced: `pipeline.reconcileWindow`, producer.ts), and record the run (status succeeded,
 * counts, `timings`: collectMs, waitMs, commitMs).
 * A ThreatQ collection's whitelist commits in the same MULTI: the attempt's staged whitelist values,
 * read by the range engine's whitelistRanges (no floors but Graph's /8, reserved space allowed), an
 * empty one included. Recorded in details: `whitelisted` (entries read), `whitelistRanges` (merged
 * CIDRs committed), `whitelistRejected` (entries refused, by reason code).
 */
import { WeightedMerge, whitelistRanges, type WhitelistRanges } from '../../../ranges/index.ts';
import { recordRun } from '../../../observability/metrics-store.ts';
import { StagingLostError } from '../../errors/staging-lost-error.ts';
import { enqueueReconcile, reconcileDebounceOf } from '../../producer.ts';
import { stageId } from '../../run-ids.ts';
import { readRejections, writeRun, type RejectionSummary } from '../../run-store.ts';
import { releaseHeap, tightHeap } from '../../../observability/heap-release.ts';
import { commitSnapshot, forEachStagedText, readStagedWhitelist } from '../../../state/snapshot-store.ts';
import { encodeMerged, forEachRange } from '../../../state/snapshot-codec.ts';
import { safely } from '../record-metrics.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { StageJob } from '../stage-job.ts';
import type { CollectResult, CollectRun, TimedCollectData } from './collect-run.ts';

interface Committed {
  stage: string;
  ranges: number;
  /** The committed whitelist (ThreatQ sources only). */
  whitelist: WhitelistRanges | undefined;
  rejections: RejectionSummary;
  committedAt: string;
  commitStartMs: number;
  commitMs: number;
}

export async function commitRun(job: StageJob<TimedCollectData>, run: CollectRun, data: TimedCollectData, deps: StageDeps): Promise<CollectResult> {
  releaseHeap(); // the collect's garbage (page bodies, chunk job data) before the merge allocates
  const committed = await tightHeap(() => commitSnapshotOf(run, data, deps));
  releaseHeap(); // the merge of every staged chunk is garbage now (observability/heap-release.ts)
  const reconcileJobIds: string[] = [];
  const debounce = reconcileDebounceOf(deps.config);
  for (const target of run.settings.targets) {
    const req = { target, manual: data.manual, force: false, trigger: data.trigger, runIds: [run.runId], configFingerprint: data.configFingerprint };
    reconcileJobIds.push(await enqueueReconcile(deps.queues, req, debounce));
  }
  const { rejections: rej } = committed;
  const result: CollectResult = {
    runId: run.runId,
    source: run.settings.source,
    collection: run.settings.collection,
    seen: data.seen ?? 0,
    kept: data.kept ?? 0,
    accepted: rej.accepted,
    rejected: rej.rejected,
    ranges: committed.ranges,
    chunks: data.chunks ?? 0,
    reconcileJobIds,
  };
  const durationMs = await recordSucceeded(job, run, data, committed, result, deps);
  await job.updateProgress({ step: 'done', ...result });
  const wl = committed.whitelist;
  const whitelist = wl ? { whitelisted: data.whitelisted ?? 0, whitelistRanges: wl.cidrs.length, whitelistRejected: wl.rejected } : {};
  run.log.info('run committed', { ...result, rejectedByReason: rej.reasons, ...whitelist, durationMs });
  if (wl?.rejected.PREFIX_TOO_BROAD) {
    run.log.warn('whitelist entries broader than /8 are not applied (they would unblock a whole region of the Internet)', { refused: wl.rejected.PREFIX_TOO_BROAD });
  }
  return result;
}

/**
 * The whitelist values the final attempt staged, all of them: a list that lost entries (expired,
 * evicted) would commit a shorter whitelist and block what ThreatQ says never to block.
 */
async function readWholeWhitelist(runId: string, data: TimedCollectData, deps: StageDeps, stage: string): Promise<string[]> {
  const values = await readStagedWhitelist(deps.redis, deps.keys, stage);
  const staged = data.whitelisted ?? 0;
  if (values.length !== staged) throw new StagingLostError(runId, { whitelistStaged: staged, whitelistFound: values.length });
  return values;
}

/** Read the final attempt's staged chunks, merge them and commit the snapshot. */
async function commitSnapshotOf(run: CollectRun, data: TimedCollectData, deps: StageDeps): Promise<Committed> {
  const { redis, keys } = deps;
  const commitStartMs = Date.now();
  const stage = stageId(run.runId, data.attempt ?? 1);
  const chunks = data.chunks ?? 0;
  // Chunk by chunk into the numeric merge, and encoded from its columns: a large run never holds
  // every staged text, nor an object or a string per range.
  const merge = new WeightedMerge();
  const missing = await forEachStagedText(redis, keys, stage, chunks, (text) => {
    forEachRange(text, (cidr, weight) => merge.add(cidr, weight));
  });
  if (missing.length > 0) throw new StagingLostError(run.runId, missing);
  const merged = encodeMerged(merge.result());
  const rejections = await readRejections(redis, keys, stage);
  const whitelist = run.source.kind === 'threatq' ? whitelistRanges(await readWholeWhitelist(run.runId, data, deps, stage)) : undefined;
  const committedAt = new Date().toISOString();
  const meta = { runId: run.runId, committedAt, seen: data.seen ?? 0, accepted: rejections.accepted, rejected: rejections.rejected, ranges: merged.count };
  // The staged provenance is joined by Redis in the same MULTI (never read into the worker).
  await commitSnapshot(redis, keys, run.settings.source, run.settings.collection, merged, meta, chunks, stage, whitelist?.cidrs, true);
  return { stage, ranges: merged.count, whitelist, rejections, committedAt, commitStartMs, commitMs: Date.now() - commitStartMs };
}

/** Write the succeeded run record and its metrics; returns the run's duration (ms). */
async function recordSucceeded(job: StageJob<TimedCollectData>, run: CollectRun, data: TimedCollectData, c: Committed, result: CollectResult, deps: StageDeps): Promise<number> {
  const durationMs = Date.parse(c.committedAt) - Date.parse(run.record.startedAt);
  const timings = {
    collectMs: (data.collectedMs ?? c.commitStartMs) - (data.collectStartMs ?? c.commitStartMs),
    waitMs: c.commitStartMs - (data.collectedMs ?? c.commitStartMs),
    commitMs: c.commitMs,
  };
  const { seen, kept, accepted, rejected, ranges, chunks } = result;
  await writeRun(deps.redis, deps.keys, {
    ...run.record,
    status: 'succeeded',
    finishedAt: c.committedAt,
    counts: { seen, kept, accepted, rejected, ranges, chunks, durationMs },
    details: {
      jobId: job.id,
      stageId: c.stage,
      filtered: data.filtered ?? {},
      ...(c.whitelist ? { whitelisted: data.whitelisted ?? 0, whitelistRanges: c.whitelist.cidrs.length, whitelistRejected: c.whitelist.rejected } : {}),
      rejectedByReason: c.rejections.reasons,
      warnings: c.rejections.warnings,
      timings,
    },
  });
  await safely(deps, run.log, 'run', () => recordRun(deps.redis, deps.config.redis.prefix, { kind: 'collect', outcome: 'succeeded', durationMs, once: run.runId }));
  return durationMs;
}
