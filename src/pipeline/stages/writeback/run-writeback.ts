/**
 * The write-back stage: after a successful reconcile, annotate in ThreatQ the indicators of one
 * ThreatQ source (all its collections) whose range Entra now enforces (configuration `writeBack` of
 * a ThreatQ source), and take the annotation off those that left Entra. One job and one record per
 * source, not per collection: tags and attributes live on the indicator, which every collection of
 * the instance shares, so an indicator in two collections gets one tag and one attribute per target.
 * Its own queue and job (queues.ts `writeback`, producer.ts `enqueueWriteBack`, added by
 * stages/reconcile/run-reconcile.ts after success): it never delays or fails a reconcile; its failures fail its own job with the error's code (ERR_THREATQ_*),
 * a line in the log, the record's `_last` summary and `tq_entra_runs_total{kind="writeback"}`.
 *
 * Design: the collect stage keeps ranges, not indicator ids (snapshots are ranges merged across
 * indicators), so the job pages each of the source's collections again through the source
 * (sources/create-source.ts; one page in memory at a time; an indicator met in a second collection,
 * or twice in one, is handled once: the pass keeps the ids it has seen, about 20 bytes each) and,
 * per page:
 *   1. the indicator's range (normalizeCidr of its value) is enforced by a target when that target's
 *      owned ranges (what this service wrote into its locations and still holds) cover it
 *      (enforced-ranges.ts; every target any of the source's collections feeds, whichever collection
 *      the indicator came from; enforced while any target is). Only targets that enforce count: a
 *      target whose configured `policy.state` is not `enabled` (report-only or disabled) blocks no
 *      sign-in, so its ranges never make an indicator "Blocked in Entra" (and an indicator tagged
 *      while it was enabled is untagged when it is switched to report-only);
 *   2. the page's entries of the write-back record are read (HMGET; state/writeback-store.ts: per
 *      indicator id the tag id, removedTag id, attribute id per target, and the range);
 *   3. the pure diff (writeback-diff.ts) plans only what differs; writeback-apply.ts sends it, paced
 *      per ThreatQ instance (writeback-pacer.ts, `requestsPerSecond`) and retried on 408/429/5xx and
 *      network errors by the ThreatQ transport (http/retry-policy.ts); the entries are then written.
 * Then a sweep (HSCAN of the record) judges every entry by its stored range, so an indicator that
 * left the source's collections (expired, filtered, deleted) is untagged when its range left Entra.
 * The alternative, storing (id, value) pairs at collect time, would cost Redis memory for every
 * indicator of every collection and touch the collect stage; re-paging costs ThreatQ reads instead,
 * and only for sources that opt in.
 *
 * Cost per run: ThreatQ reads = one pass of each of the source's collections (ceil(indicators /
 * pageSize) GETs, e.g. 2,000 for 1,000,000 indicators at 500), none when the pass is skipped: a run
 * whose inputs (the settings, every enforcing target's owned-ranges digest, the committed snapshot of
 * every collection of the source) equal those of the last complete pass reads and writes nothing (a
 * reconcile fed by another source's commit).
 * ThreatQ writes = only changes: per newly enforced indicator one tag POST, and per enforcing target
 * one attribute read (GET ?with=attributes: an attribute an interrupted attempt already wrote is
 * adopted, never added twice, writeback-apply.ts) and one attribute POST; per indicator that left
 * Entra one DELETE per tag and attribute (`onRemoval: untag`) or a DELETE, a POST of `removedTag` and
 * a PUT per attribute (`onRemoval: tag`); a re-run with no change writes nothing. At the default 5
 * requests/s a first run over 10,000 enforced indicators (tag + one attribute: 3 requests) takes about
 * 100 minutes, over a full target (382,000) about 64 hours; raise `requestsPerSecond` (at most 50:
 * 6.4 hours) if the instance allows. Later runs write
 * only the day's changes. Redis: one record entry per annotated indicator (124 bytes measured with a
 * tag and one attribute, state/writeback-store.ts). Process memory: the owned ranges as intervals
 * (8 bytes per IPv4 interval, 5 more per range while reading them), one page and the ids seen.
 * Permissions (ThreatQ): the API user reads the collection (as for collect) and needs a role that
 * may edit indicator context: Administrator, Maintenance or Primary Contributor, or a custom role
 * with Objects & Context › Individual Object Context & Actions › Tags and Attributes; a Read Only
 * user gets ERR_THREATQ_WRITE_REFUSED (403).
 * Consistency: the owned sets are read as they are when the job starts; a reconcile that changes
 * them later queues another write-back, which corrects what this one saw (deduplication keeps one
 * waiting behind a running one).
 * Refused indicators: ThreatQ refusing a write on one indicator (400/422) skips that indicator
 * (counted in `refused`, a warning with its id; writeback-apply.ts) and the pass is not recorded as
 * complete, so the next job pages again and retries it; a 401/403 fails the job.
 * Attempts: a failed attempt records what it wrote before failing, so the next attempt (5, backoff
 * from 30 s) starts where it stopped; the attribute's time is the job's `at` (the same on every
 * attempt), so a request repeated after a crash carries the same value.
 */
import { createHash } from 'node:crypto';
import type { Config, ThreatQSourceConfig } from '../../../config/schema.ts';
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
import { createWriteBackPacer, writeBackPaceOf } from './writeback-pacer.ts';

export interface WriteBackSummary extends WriteBackCounts {
  source: string;
  status: 'succeeded' | 'skipped';
  /** Why nothing was read or written (skipped runs). */
  reason?: string;
  /** Collections of the source paged. */
  collections: number;
  /** Distinct indicators the collections returned (after their type/status filters). */
  indicators: number;
  /** Of them, enforced by at least one target. */
  enforced: number;
  /** Record entries judged by the sweep. */
  swept: number;
  /** Owned ranges read, all enforcing targets together. */
  ownedRanges: number;
  /** ThreatQ write requests by "METHOD status". */
  requests: Record<string, number>;
  durationMs: number;
}

/** One run in progress. */
interface WriteBackRun {
  deps: StageDeps;
  source: ThreatQSourceConfig;
  settings: WriteBackSettings;
  at: number;
  log: Logger;
  names: Map<string, string>;
  enforced: EnforcedRanges;
  writer: ThreatQWriter;
  counts: WriteBackCounts;
  seen: { collections: number; indicators: number; enforced: number; swept: number };
  /** Indicator ids handled by this pass (an indicator in two collections is handled once). */
  ids: Set<number | string>;
}

type Resolved = { source: ThreatQSourceConfig; settings: WriteBackSettings } | { skip: string };

function resolve(deps: StageDeps, data: WriteBackJobData): Resolved {
  const source = findSource(deps.config, data.source);
  if (source.kind !== 'threatq' || source.writeBack === undefined) return { skip: 'the source has no writeBack (any more)' };
  const { tag, attribute, onRemoval, removedTag } = source.writeBack;
  return { source, settings: { tag, attribute, onRemoval, removedTag } };
}

/**
 * The targets whose enforcement counts: every target any of the source's collections feeds whose
 * configured policy state is `enabled` (a report-only or disabled policy blocks nothing).
 */
export function enforcingTargetsOf(config: Config, source: ThreatQSourceConfig): string[] {
  const fed = new Set(source.collections.flatMap((c) => c.targets));
  return config.targets.filter((t) => fed.has(t.name) && t.policy.state === 'enabled').map((t) => t.name).sort();
}

async function ensureAt(job: StageJob<WriteBackJobData>): Promise<number> {
  if (job.data.at !== undefined) return job.data.at;
  const at = Math.floor(Date.now() / 1000);
  await job.updateData({ ...job.data, at });
  return at;
}

export async function runWriteBack(job: StageJob<WriteBackJobData>, deps: StageDeps): Promise<WriteBackSummary> {
  const startedMs = Date.now();
  const base = { source: job.data.source, startedMs };
  const log = deps.logger.child({ source: base.source, jobId: job.id });
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
  const enforced = await readEnforcedRanges(redis, keys, enforcingTargetsOf(config, r.source));
  const names = await readWriteBackNames(redis, keys, r.source.name);
  const pace = writeBackPaceOf(config, r.source);
  const writer = new ThreatQWriter(clientFor(r.source), { beforeRequest: createWriteBackPacer(redis, config.redis.prefix, pace.instance, pace.requestsPerSecond) });
  const seen = { collections: 0, indicators: 0, enforced: 0, swept: 0 };
  return { deps, ...r, at, log, names, enforced, writer, counts: emptyCounts(), seen, ids: new Set() };
}

/** The fingerprint of a pass: settings, enforcing targets' owned ranges, every collection's committed snapshot. */
async function fingerprint(run: WriteBackRun): Promise<string> {
  const { redis, keys } = run.deps;
  const snapshots: [string, string | null][] = [];
  for (const c of run.source.collections) snapshots.push([c.id, (await readSnapshotMeta(redis, keys, run.source.name, c.id))?.runId ?? null]);
  snapshots.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([run.settings, run.enforced.digest, snapshots])).digest('hex');
}

async function passAndSweep(run: WriteBackRun, job: StageJob<WriteBackJobData>, startedMs: number): Promise<{ summary: WriteBackSummary; pass: string | undefined }> {
  const { redis, keys } = run.deps;
  const pass = await fingerprint(run);
  const base = { source: run.source.name, startedMs };
  if (pass === (await readWriteBackPass(redis, keys, run.source.name))) {
    return { summary: summarize(run, { ...base, status: 'skipped', reason: 'nothing changed since the last complete pass' }), pass };
  }
  await job.updateProgress({ step: 'collections', ownedRanges: run.enforced.ranges });
  for (const c of run.source.collections) {
    await pageCollection(run, c.id);
    run.seen.collections++;
  }
  await job.updateProgress({ step: 'sweep', indicators: run.seen.indicators });
  await sweep(run);
  // A pass that skipped a refused indicator is not complete: the next job tries it again.
  return { summary: summarize(run, { ...base, status: 'succeeded' }), pass: run.counts.refused > 0 ? undefined : pass };
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
  const out = await applyWork(run.writer, work, run.counts, { log: run.log });
  for (const [k, v] of out.names) run.names.set(k, v);
  const { redis, keys } = run.deps;
  await writeWriteBackEntries(redis, keys, { source: run.source.name }, { set: out.set, deleted: out.deleted, names: out.names });
  if (out.error !== undefined) throw out.error;
}

/** A numeric id as a number (smaller in the set of ids seen), any other as it is. */
function idKey(id: string): number | string {
  const n = Number(id);
  return Number.isSafeInteger(n) && String(n) === id ? n : id;
}

/** Pass 1: one collection of the source, page by page, skipping indicators already handled. */
async function pageCollection(run: WriteBackRun, collection: string): Promise<void> {
  const { redis, keys } = run.deps;
  for await (const page of createSource(run.source, collection).pages()) {
    const items: { id: string; range: string | undefined; fallbackRange: string }[] = [];
    for (const i of page.indicators) {
      const key = idKey(i.id);
      if (run.ids.has(key)) continue;
      run.ids.add(key);
      items.push({ id: i.id, range: normalizeCidr(i.value) ?? undefined, fallbackRange: i.value });
    }
    run.seen.indicators += items.length;
    for (const it of items) if (enforcingTargets(run.enforced, it.range).length > 0) run.seen.enforced++;
    const entries = await readWriteBackEntries(redis, keys, run.source.name, items.map((i) => i.id));
    await writeBatch(run, items, entries);
  }
}

/** Pass 2: every record entry, judged by its stored range (indicators no longer in any collection). */
async function sweep(run: WriteBackRun): Promise<void> {
  const { redis, keys } = run.deps;
  for await (const batch of scanWriteBackEntries(redis, keys, run.source.name)) {
    run.seen.swept += batch.length;
    await writeBatch(run, batch.map(([id, e]) => ({ id, range: e.range, fallbackRange: e.range })), new Map(batch));
  }
}

function summarize(run: WriteBackRun | undefined, s: { source: string; startedMs: number; status: WriteBackSummary['status']; reason?: string }): WriteBackSummary {
  return {
    source: s.source,
    status: s.status,
    ...(s.reason === undefined ? {} : { reason: s.reason }),
    collections: run?.seen.collections ?? 0,
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
  const { requests, source, status, reason, durationMs, ...rest } = summary;
  const counts = Object.fromEntries(Object.entries(rest).filter((kv): kv is [string, number] => typeof kv[1] === 'number'));
  const error = err === undefined ? undefined : { code: errorCodeOf(err), message: deps.describeError(err) };
  const last = { status: error === undefined ? status : ('failed' as const), finishedAt: new Date().toISOString(), counts: { ...counts, durationMs }, ...(error ? { error } : {}) };
  await safely(deps, log, 'writeback record', () => recordWriteBackRun(deps.redis, deps.keys, { source }, last, error ? undefined : pass));
  if (status !== 'skipped' || error !== undefined) {
    const outcome = error === undefined ? 'succeeded' : 'failed';
    const prefix = deps.config.redis.prefix;
    await safely(deps, log, 'run', () => recordRun(deps.redis, prefix, { kind: 'writeback', outcome, durationMs, once: end.once }));
    await safely(deps, log, 'threatq writes', () => recordThreatQWrites(deps.redis, prefix, { source, byMethodStatus: requests, once: end.once }));
  }
  if (error !== undefined) log.warn('write-back did not complete', { code: error.code, error: error.message, ...counts, requests });
  else log.info(status === 'skipped' ? 'write-back skipped' : 'write-back finished', { ...(reason ? { reason } : {}), ...counts, requests, durationMs });
}
