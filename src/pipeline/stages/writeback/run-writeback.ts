/**
 * The write-back stage: after a successful reconcile, annotate in ThreatQ the indicators of one
 * source collection whose range Entra now enforces (configuration `writeBack` of a ThreatQ source),
 * and take the annotation off those that left Entra. Its own queue and job (queues.ts `writeback`,
 * producer.ts `enqueueWriteBack`, added by stages/reconcile/run-reconcile.ts after success): it never
 * delays or fails a reconcile; its failures fail its own job with the error's code (ERR_THREATQ_*),
 * a line in the log, the record's `_last` summary and `tq_entra_runs_total{kind="writeback"}`.
 *
 * Design: the collect stage keeps ranges, not indicator ids (snapshots are ranges merged across
 * indicators), so the job pages the collection again through the source (sources/create-source.ts;
 * one page in memory at a time) and, per page:
 *   1. the indicator's range (normalizeCidr of its value) is enforced by a target when that target's
 *      owned ranges (what this service wrote into its locations and still holds) cover it
 *      (enforced-ranges.ts; every target the collection feeds; enforced while any target is);
 *   2. the page's entries of the write-back record are read (HMGET; state/writeback-store.ts: per
 *      indicator id the tag id, removedTag id, attribute id per target, and the range);
 *   3. the pure diff (writeback-diff.ts) plans only what differs; writeback-apply.ts sends it, paced
 *      per ThreatQ instance (writeback-pacer.ts, `requestsPerSecond`) and retried on 408/429/5xx and
 *      network errors by the ThreatQ transport (http/retry-policy.ts); the entries are then written.
 * Then a sweep (HSCAN of the record) judges every entry by its stored range, so an indicator that
 * left the collection (expired, filtered, deleted) is untagged when its range left Entra.
 * The alternative, storing (id, value) pairs at collect time, would cost Redis memory for every
 * indicator of every collection and touch the collect stage; re-paging costs ThreatQ reads instead,
 * and only for sources that opt in.
 *
 * Cost per run: ThreatQ reads = one pass of the collection (ceil(indicators / pageSize) GETs, e.g.
 * 2,000 for 1,000,000 indicators at 500), none when the pass is skipped: a run whose inputs (the
 * settings, every target's owned-ranges digest, the collection's committed snapshot) equal those of
 * the last complete pass reads and writes nothing (a reconcile fed by another source's commit).
 * ThreatQ writes = only changes: per newly enforced indicator one tag POST and one attribute POST per
 * enforcing target; per indicator that left Entra one DELETE per tag and attribute (`onRemoval:
 * untag`) or a DELETE, a POST of `removedTag` and a PUT per attribute (`onRemoval: tag`); a re-run
 * with no change writes nothing. At the default 5 requests/s a first run over 10,000 enforced
 * indicators (tag + one attribute) takes about 67 minutes, over a full target (382,000) about 42
 * hours; raise `requestsPerSecond` (at most 50: 4.2 hours) if the instance allows. Later runs write
 * only the day's changes. Redis: one record entry per annotated indicator (124 bytes measured with a
 * tag and one attribute, state/writeback-store.ts). Process memory: the owned ranges as intervals
 * (8 bytes per IPv4 interval, 5 more per range while reading them) and one page.
 * Permissions (ThreatQ): the API user reads the collection (as for collect) and needs a role that
 * may edit indicator context: Administrator, Maintenance or Primary Contributor, or a custom role
 * with Objects & Context › Individual Object Context & Actions › Tags and Attributes; a Read Only
 * user gets ERR_THREATQ_WRITE_REFUSED (403).
 * Consistency: the owned sets are read as they are when the job starts; a reconcile that changes
 * them later queues another write-back, which corrects what this one saw (deduplication keeps one
 * waiting behind a running one).
 * Attempts: a failed attempt records what it wrote before failing, so the next attempt (5, backoff
 * from 30 s) starts where it stopped; the attribute's time is the job's `at` (the same on every
 * attempt), so a request repeated after a crash carries the same value.
 */
import { createHash } from 'node:crypto';
import type { CollectionConfig, ThreatQSourceConfig } from '../../../config/schema.ts';
import { findSource } from '../../../config/find-target.ts';
import { coerceError, errorCodeOf } from '../../../errors/sync-error.ts';
import type { Logger } from '../../../observability/logger.ts';
import { recordRun, recordThreatQWrites } from '../../../observability/metrics-store.ts';
import { normalizeCidr } from '../../../ranges/index.ts';
import { clientFor, createSource } from '../../../sources/create-source.ts';
import { readSnapshotMeta } from '../../../state/snapshot-store.ts';
import {
  readWriteBackEntries,
  readWriteBackNames,
  readWriteBackPass,
  recordWriteBackRun,
  scanWriteBackEntries,
  writeWriteBackEntries,
  type WriteBackEntry,
} from '../../../state/writeback-store.ts';
import { ThreatQWriter } from '../../../threatq/threatq-writeback.ts';
import type { WriteBackJobData } from '../../queues.ts';
import { safely } from '../record-metrics.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { StageJob } from '../stage-job.ts';
import { enforcingTargets, readEnforcedRanges, type EnforcedRanges } from './enforced-ranges.ts';
import { applyWork, emptyCounts, type IndicatorWork, type WriteBackCounts } from './writeback-apply.ts';
import { planIndicator, type WriteBackSettings } from './writeback-diff.ts';
import { createWriteBackPacer } from './writeback-pacer.ts';

export interface WriteBackSummary extends WriteBackCounts {
  source: string;
  collection: string;
  status: 'succeeded' | 'skipped';
  /** Why nothing was read or written (skipped runs). */
  reason?: string;
  /** Indicators the collection returned (after its type/status filter). */
  indicators: number;
  /** Of them, enforced by at least one target. */
  enforced: number;
  /** Record entries judged by the sweep. */
  swept: number;
  /** Owned ranges read, all targets together. */
  ownedRanges: number;
  /** ThreatQ write requests by "METHOD status". */
  requests: Record<string, number>;
  durationMs: number;
}

/** One run in progress. */
interface WriteBackRun {
  deps: StageDeps;
  source: ThreatQSourceConfig;
  collection: CollectionConfig;
  settings: WriteBackSettings;
  at: number;
  log: Logger;
  names: Map<string, string>;
  enforced: EnforcedRanges;
  writer: ThreatQWriter;
  counts: WriteBackCounts;
  seen: { indicators: number; enforced: number; swept: number };
}

type Resolved = { source: ThreatQSourceConfig; collection: CollectionConfig; settings: WriteBackSettings } | { skip: string };

function resolve(deps: StageDeps, data: WriteBackJobData): Resolved {
  const source = findSource(deps.config, data.source);
  if (source.kind !== 'threatq' || source.writeBack === undefined) return { skip: 'the source has no writeBack (any more)' };
  const collection = source.collections.find((c) => c.id === data.collection);
  if (collection === undefined) return { skip: 'the source has no such collection (any more)' };
  const { tag, attribute, onRemoval, removedTag } = source.writeBack;
  return { source, collection, settings: { tag, attribute, onRemoval, removedTag } };
}

async function ensureAt(job: StageJob<WriteBackJobData>): Promise<number> {
  if (job.data.at !== undefined) return job.data.at;
  const at = Math.floor(Date.now() / 1000);
  await job.updateData({ ...job.data, at });
  return at;
}

export async function runWriteBack(job: StageJob<WriteBackJobData>, deps: StageDeps): Promise<WriteBackSummary> {
  const startedMs = Date.now();
  const base = { source: job.data.source, collection: job.data.collection, startedMs };
  const log = deps.logger.child({ source: base.source, collection: base.collection, jobId: job.id });
  const resolved = resolve(deps, job.data);
  if ('skip' in resolved) {
    log.info('write-back skipped', { reason: resolved.skip });
    return summarize(undefined, { ...base, status: 'skipped', reason: resolved.skip });
  }
  const at = await ensureAt(job);
  const end: RunEnd = { deps, log, once: `${job.id ?? 'job'}:${job.attemptsStarted}` };
  let run: WriteBackRun | undefined;
  try {
    run = await openRun(deps, resolved, at, log);
    const { summary, pass } = await passAndSweep(run, job, startedMs);
    await finish(end, summary, pass, undefined);
    return summary;
  } catch (e) {
    const err = coerceError(e);
    await finish(end, summarize(run, { ...base, status: 'succeeded' }), undefined, err);
    throw err;
  }
}

async function openRun(deps: StageDeps, r: Extract<Resolved, { source: unknown }>, at: number, log: Logger): Promise<WriteBackRun> {
  const { redis, keys, config } = deps;
  const enforced = await readEnforcedRanges(redis, keys, r.collection.targets);
  const names = await readWriteBackNames(redis, keys, r.source.name, r.collection.id);
  const pace = createWriteBackPacer(redis, config.redis.prefix, r.source.name, r.source.writeBack?.requestsPerSecond ?? 5);
  const writer = new ThreatQWriter(clientFor(r.source), { beforeRequest: pace });
  return { deps, ...r, at, log, names, enforced, writer, counts: emptyCounts(), seen: { indicators: 0, enforced: 0, swept: 0 } };
}

/** The fingerprint of a pass: settings, targets' owned ranges, the collection's committed snapshot. */
async function fingerprint(run: WriteBackRun): Promise<string> {
  const { redis, keys } = run.deps;
  const meta = await readSnapshotMeta(redis, keys, run.source.name, run.collection.id);
  return createHash('sha256').update(JSON.stringify([run.settings, run.enforced.digest, meta?.runId ?? null])).digest('hex');
}

async function passAndSweep(run: WriteBackRun, job: StageJob<WriteBackJobData>, startedMs: number): Promise<{ summary: WriteBackSummary; pass: string }> {
  const { redis, keys } = run.deps;
  const pass = await fingerprint(run);
  const base = { source: run.source.name, collection: run.collection.id, startedMs };
  if (pass === (await readWriteBackPass(redis, keys, run.source.name, run.collection.id))) {
    return { summary: summarize(run, { ...base, status: 'skipped', reason: 'nothing changed since the last complete pass' }), pass };
  }
  await job.updateProgress({ step: 'collection', ownedRanges: run.enforced.ranges });
  await pageCollection(run);
  await job.updateProgress({ step: 'sweep', indicators: run.seen.indicators });
  await sweep(run);
  return { summary: summarize(run, { ...base, status: 'succeeded' }), pass };
}

/**
 * Plan and write a batch; the entries of what succeeded are recorded before an error is thrown. An
 * unreadable value is recorded as it is (`fallbackRange`), so the sweep finds it not enforced too.
 */
async function writeBatch(run: WriteBackRun, items: readonly { id: string; range: string | undefined; fallbackRange: string }[], entries: ReadonlyMap<string, WriteBackEntry>): Promise<void> {
  const work: IndicatorWork[] = [];
  for (const it of items) {
    const entry = entries.get(it.id);
    const enforcedBy = enforcingTargets(run.enforced, it.range);
    const ops = planIndicator({ entry, enforcedBy, settings: run.settings, names: run.names, at: run.at });
    if (ops.length > 0) work.push({ id: it.id, range: it.range ?? it.fallbackRange, entry, ops });
  }
  if (work.length === 0) return;
  const out = await applyWork(run.writer, work, run.counts);
  for (const [k, v] of out.names) run.names.set(k, v);
  const { redis, keys } = run.deps;
  await writeWriteBackEntries(redis, keys, { source: run.source.name, collection: run.collection.id }, { set: out.set, deleted: out.deleted, names: out.names });
  if (out.error !== undefined) throw out.error;
}

/** Pass 1: the collection, page by page. */
async function pageCollection(run: WriteBackRun): Promise<void> {
  const { redis, keys } = run.deps;
  for await (const page of createSource(run.source, run.collection.id).pages()) {
    // An indicator updated during the scan can come twice; once per batch is enough.
    const byId = new Map(page.indicators.map((i) => [i.id, { id: i.id, range: normalizeCidr(i.value) ?? undefined, fallbackRange: i.value }]));
    const items = [...byId.values()];
    run.seen.indicators += items.length;
    for (const it of items) if (enforcingTargets(run.enforced, it.range).length > 0) run.seen.enforced++;
    const entries = await readWriteBackEntries(redis, keys, run.source.name, run.collection.id, items.map((i) => i.id));
    await writeBatch(run, items, entries);
  }
}

/** Pass 2: every record entry, judged by its stored range (indicators no longer in the collection). */
async function sweep(run: WriteBackRun): Promise<void> {
  const { redis, keys } = run.deps;
  for await (const batch of scanWriteBackEntries(redis, keys, run.source.name, run.collection.id)) {
    run.seen.swept += batch.length;
    await writeBatch(run, batch.map(([id, e]) => ({ id, range: e.range, fallbackRange: e.range })), new Map(batch));
  }
}

function summarize(
  run: WriteBackRun | undefined,
  s: { source: string; collection: string; startedMs: number; status: WriteBackSummary['status']; reason?: string },
): WriteBackSummary {
  return {
    source: s.source,
    collection: s.collection,
    status: s.status,
    ...(s.reason === undefined ? {} : { reason: s.reason }),
    indicators: run?.seen.indicators ?? 0,
    enforced: run?.seen.enforced ?? 0,
    swept: run?.seen.swept ?? 0,
    ownedRanges: run?.enforced.ranges ?? 0,
    ...(run?.counts ?? emptyCounts()),
    requests: { ...run?.writer.byMethodStatus },
    durationMs: Date.now() - s.startedMs,
  };
}

interface RunEnd {
  deps: StageDeps;
  log: Logger;
  /** Metrics idempotency id of this attempt. */
  once: string;
}

/**
 * Record how the run ended: the record's `_last` (and the pass fingerprint when it completed; a
 * failed run clears it), `tq_entra_runs_total{kind="writeback"}` (not for a skipped pass), a log line.
 */
async function finish(end: RunEnd, summary: WriteBackSummary, pass: string | undefined, err: Error | undefined): Promise<void> {
  const { deps, log } = end;
  const { requests, source, collection, status, reason, durationMs, ...rest } = summary;
  const counts = Object.fromEntries(Object.entries(rest).filter((kv): kv is [string, number] => typeof kv[1] === 'number'));
  const error = err === undefined ? undefined : { code: errorCodeOf(err), message: deps.describeError(err) };
  const last = { status: error === undefined ? status : ('failed' as const), finishedAt: new Date().toISOString(), counts: { ...counts, durationMs }, ...(error ? { error } : {}) };
  await safely(deps, log, 'writeback record', () => recordWriteBackRun(deps.redis, deps.keys, { source, collection }, last, error ? undefined : pass));
  if (status !== 'skipped' || error !== undefined) {
    const outcome = error === undefined ? 'succeeded' : 'failed';
    const prefix = deps.config.redis.prefix;
    await safely(deps, log, 'run', () => recordRun(deps.redis, prefix, { kind: 'writeback', outcome, durationMs, once: end.once }));
    await safely(deps, log, 'threatq writes', () => recordThreatQWrites(deps.redis, prefix, { source, byMethodStatus: requests, once: end.once }));
  }
  if (error !== undefined) log.warn('write-back did not complete', { code: error.code, error: error.message, ...counts, requests });
  else log.info(status === 'skipped' ? 'write-back skipped' : 'write-back finished', { ...(reason ? { reason } : {}), ...counts, requests, durationMs });
}
