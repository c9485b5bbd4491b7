/**
 * Run records in Redis, for `tq-entra report`, the demo summary and metrics. The state is bounded:
 * however many runs go by, only the last RUNS_KEPT runs of each source collection and target are
 * kept (older ones are deleted as new ones are written), and rejection examples live in one hash per
 * source collection, never in a key per run.
 *
 * A run is one collect job (source collection → snapshot) or one reconcile (target → Entra). Each
 * ingest chunk records its own counts under its chunk number, so a retried chunk overwrites rather
 * than double-counts. Records also expire after RUN_TTL_SECONDS (a backstop).
 *
 *   run:<id>                     hash  kind, source, collection|target, trigger, status, startedAt,
 *                                      finishedAt, counts (JSON), error
 *   runs:<kind>:<name>           zset  the kept run ids of a source collection or target, by start time
 *   rejects:<stageId>            hash  "<chunk>" → JSON { accepted, rejected, reasons: {code: n}, warnings: {code: n} }
 *   rejects-ex:<source>:<coll>   hash  "<reason>" → JSON { run: stageId, examples: [{ line, value }] }:
 *                                      the EXAMPLES_PER_REASON lowest-numbered lines of the latest run
 *                                      that had the reason, each at most EXAMPLE_MAX_CHARS long
 *   last:<kind>:<n>              string  id of the last run of a source collection or target
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import { stageId as stageIdOf } from './run-ids.ts';

export const RUN_TTL_SECONDS = 30 * 24 * 3600;
/** Runs kept per source collection and per target (with their chunk counts). */
export const RUNS_KEPT = 10;
export const EXAMPLES_PER_REASON = 5;
/** A rejected value longer than this is cut (and ends with "…") in the examples. */
export const EXAMPLE_MAX_CHARS = 120;
/** Attempts whose chunk counts are deleted with a run that has no stageId recorded. */
const STAGE_ATTEMPTS_SWEPT = 5;

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'refused';

export interface RunRecord {
  id: string;
  kind: 'collect' | 'reconcile';
  /** Source name (collect) or target name (reconcile). */
  name: string;
  collection?: string;
  trigger: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  counts: Record<string, number>;
  error?: { code: string; message: string };
  /** Free-form structured details (per-location writes, overflow by source, …). */
  details?: Record<string, unknown>;
}

export interface ChunkCounts {
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  warnings: Record<string, number>;
}

export interface RejectExample {
  line: number;
  value: string;
}

export async function writeRun(redis: RedisClient, keys: StateKeys, run: RunRecord): Promise<void> {
  const key = keys.run(run.id);
  const fields: Record<string, string> = {
    id: run.id,
    kind: run.kind,
    name: run.name,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt,
    counts: JSON.stringify(run.counts),
  };
  if (run.collection !== undefined) fields['collection'] = run.collection;
  if (run.finishedAt !== undefined) fields['finishedAt'] = run.finishedAt;
  if (run.error !== undefined) fields['error'] = JSON.stringify(run.error);
  if (run.details !== undefined) fields['details'] = JSON.stringify(run.details);
  const lastName = run.kind === 'collect' ? `${run.name}/${run.collection ?? ''}` : run.name;
  const kind = run.kind === 'collect' ? 'source' : 'target';
  const index = keys.runIndex(kind, lastName);
  const started = Date.parse(run.startedAt);
  await redis
    .multi()
    .hset(key, fields)
    .expire(key, RUN_TTL_SECONDS)
    .set(keys.last(kind, lastName), run.id, 'EX', RUN_TTL_SECONDS)
    .zadd(index, 'NX', Number.isNaN(started) ? Date.now() : started, run.id)
    .expire(index, RUN_TTL_SECONDS)
    .exec();
  await trimRuns(redis, keys, index);
}

/** Delete the runs of one index beyond the newest RUNS_KEPT, with their chunk counts. */
async function trimRuns(redis: RedisClient, keys: StateKeys, index: string): Promise<void> {
  const old = await redis.zrange(index, 0, String(-(RUNS_KEPT + 1)));
  if (old.length === 0) return;
  const stageIds = await Promise.all(old.map((id) => redis.hget(keys.run(id), 'details')));
  const doomed: string[] = [];
  old.forEach((id, i) => {
    doomed.push(keys.run(id), keys.rejects(id));
    for (let a = 1; a <= STAGE_ATTEMPTS_SWEPT; a += 1) doomed.push(keys.rejects(stageIdOf(id, a)));
    try {
      const stageId = (JSON.parse(stageIds[i] ?? '{}') as { stageId?: unknown }).stageId;
      if (typeof stageId === 'string') doomed.push(keys.rejects(stageId));
    } catch {
      // unreadable details: the swept attempts above cover the usual stage ids
    }
  });
  await redis
    .multi()
    .unlink(...new Set(doomed))
    .zrem(index, ...old)
    .exec();
}

export async function readRun(redis: RedisClient, keys: StateKeys, id: string): Promise<RunRecord | null> {
  const h = await redis.hgetall(keys.run(id));
  if (!h['id'] || !h['kind'] || !h['name']) return null;
  const run: RunRecord = {
    id: h['id'],
    kind: h['kind'] === 'reconcile' ? 'reconcile' : 'collect',
    name: h['name'],
    trigger: h['trigger'] ?? '',
    status: (h['status'] ?? 'running') as RunStatus,
    startedAt: h['startedAt'] ?? '',
    counts: JSON.parse(h['counts'] ?? '{}') as Record<string, number>,
  };
  if (h['collection'] !== undefined) run.collection = h['collection'];
  if (h['finishedAt'] !== undefined) run.finishedAt = h['finishedAt'];
  if (h['error'] !== undefined) run.error = JSON.parse(h['error']) as { code: string; message: string };
  if (h['details'] !== undefined) run.details = JSON.parse(h['details']) as Record<string, unknown>;
  return run;
}

export async function lastRunId(redis: RedisClient, keys: StateKeys, kind: 'source' | 'target', name: string): Promise<string | null> {
  return redis.get(keys.last(kind, name));
}

/**
 * KEYS[1]: the collection's examples hash. ARGV: run (staging id), max examples, then pairs of
 * reason and JSON [{line, value}]. Per reason: merged with what this run already stored (another
 * run's are replaced), deduplicated by line, the lowest lines kept: chunks may come in any order and
 * be retried, the result is the same.
 */
const MERGE_EXAMPLES_SCRIPT = `
local max = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local merged, seen = {}, {}
  local function add(list)
    for _, e in ipairs(list) do
      if not seen[e.line] then seen[e.line] = true; merged[#merged + 1] = e end
    end
  end
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    local d = cjson.decode(cur)
    if d.run == ARGV[1] then add(d.examples) end
  end
  add(cjson.decode(ARGV[i + 1]))
  table.sort(merged, function(a, b) return a.line < b.line end)
  while #merged > max do table.remove(merged) end
  redis.call('HSET', KEYS[1], ARGV[i], cjson.encode({ run = ARGV[1], examples = merged }))
end
return 1
`;

function truncateExample(value: string): string {
  return value.length > EXAMPLE_MAX_CHARS ? `${value.slice(0, EXAMPLE_MAX_CHARS)}…` : value;
}

/**
 * Record one ingest chunk's counts (idempotent per chunk) and, given the source collection, a few
 * truncated examples per rejection reason into the collection's bounded examples hash.
 */
export async function recordChunk(
  redis: RedisClient,
  keys: StateKeys,
  runId: string,
  chunk: number,
  counts: ChunkCounts,
  examples: Record<string, RejectExample[]>,
  from?: { source: string; collection: string },
): Promise<void> {
  const tx = redis.multi().hset(keys.rejects(runId), String(chunk), JSON.stringify(counts)).expire(keys.rejects(runId), RUN_TTL_SECONDS);
  const pairs: string[] = [];
  for (const [reason, list] of Object.entries(examples)) {
    if (list.length === 0) continue;
    pairs.push(reason, JSON.stringify(list.slice(0, EXAMPLES_PER_REASON).map((e) => ({ line: e.line, value: truncateExample(e.value) }))));
  }
  if (from && pairs.length > 0) {
    const exKey = keys.rejectExamples(from.source, from.collection);
    tx.eval(MERGE_EXAMPLES_SCRIPT, 1, exKey, runId, EXAMPLES_PER_REASON, ...pairs).expire(exKey, RUN_TTL_SECONDS);
  }
  const results = await tx.exec();
  const failed = results?.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
}

export interface RejectionSummary {
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  examples: Record<string, RejectExample[]>;
}

/**
 * Sum every chunk of a run (its staging id); with the source collection, the run's examples per
 * reason (the lowest-numbered lines; none when a later run of the collection has replaced them).
 */
export async function readRejections(redis: RedisClient, keys: StateKeys, runId: string, from?: { source: string; collection: string }): Promise<RejectionSummary> {
  const [chunks, ex] = await Promise.all([
    redis.hgetall(keys.rejects(runId)),
    from ? redis.hgetall(keys.rejectExamples(from.source, from.collection)) : Promise.resolve({} as Record<string, string>),
  ]);
  const out: RejectionSummary = { accepted: 0, rejected: 0, reasons: {}, warnings: {}, examples: {} };
  for (const text of Object.values(chunks)) {
    const c = JSON.parse(text) as ChunkCounts;
    out.accepted += c.accepted;
    out.rejected += c.rejected;
    for (const [k, n] of Object.entries(c.reasons)) out.reasons[k] = (out.reasons[k] ?? 0) + n;
    for (const [k, n] of Object.entries(c.warnings)) out.warnings[k] = (out.warnings[k] ?? 0) + n;
  }
  for (const [reason, text] of Object.entries(ex)) {
    try {
      const d = JSON.parse(text) as { run?: unknown; examples?: unknown };
      if (d.run === runId && Array.isArray(d.examples)) out.examples[reason] = (d.examples as RejectExample[]).slice(0, EXAMPLES_PER_REASON);
    } catch {
      // a field from an older layout: no examples for it
    }
  }
  return out;
}

/** A run with, for a collect run, its rejections summed over its chunks (`tq-entra report`, the status page). */
export interface RunReport {
  run: RunRecord;
  rejections?: RejectionSummary;
}

export async function runReport(redis: RedisClient, keys: StateKeys, id: string): Promise<RunReport | null> {
  const run = await readRun(redis, keys, id);
  if (!run) return null;
  if (run.kind !== 'collect') return { run };
  const stageId = typeof run.details?.['stageId'] === 'string' ? run.details['stageId'] : undefined;
  return { run, rejections: await readRejections(redis, keys, stageId ?? stageIdOf(id, 1), { source: run.name, collection: run.collection ?? '' }) };
}
