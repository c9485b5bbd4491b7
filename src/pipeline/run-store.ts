/**
 * Run records in Redis, for `tq-entra report`, the demo summary and metrics.
 *
 * A run is one collect job (source collection → snapshot) or one reconcile (target → Entra). Each
 * ingest chunk records its own counts under its chunk number, so a retried chunk overwrites rather
 * than double-counts. Records expire after RUN_TTL_SECONDS.
 *
 *   run:<id>          hash  kind, source, collection|target, trigger, status, startedAt, finishedAt,
 *                           counts (JSON), error
 *   rejects:<id>      hash  "<chunk>" → JSON { accepted, rejected, reasons: {code: n}, warnings: {code: n} }
 *   rejects-ex:<id>   hash  "<reason>" → JSON [{ line, value }] (first few examples)
 *   last:<kind>:<n>   string  id of the last run of a source collection or target
 */
import type { Redis } from 'ioredis';
import type { StateKeys } from './redis-keys.ts';

export const RUN_TTL_SECONDS = 30 * 24 * 3600;
export const EXAMPLES_PER_REASON = 5;

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

export async function writeRun(redis: Redis, keys: StateKeys, run: RunRecord): Promise<void> {
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
  await redis
    .multi()
    .hset(key, fields)
    .expire(key, RUN_TTL_SECONDS)
    .set(keys.last(run.kind === 'collect' ? 'source' : 'target', lastName), run.id, 'EX', RUN_TTL_SECONDS)
    .exec();
}

export async function readRun(redis: Redis, keys: StateKeys, id: string): Promise<RunRecord | null> {
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

export async function lastRunId(redis: Redis, keys: StateKeys, kind: 'source' | 'target', name: string): Promise<string | null> {
  return redis.get(keys.last(kind, name));
}

/** Record one ingest chunk's counts and a few examples per rejection reason (idempotent per chunk). */
export async function recordChunk(
  redis: Redis,
  keys: StateKeys,
  runId: string,
  chunk: number,
  counts: ChunkCounts,
  examples: Record<string, RejectExample[]>,
): Promise<void> {
  const tx = redis.multi().hset(keys.rejects(runId), String(chunk), JSON.stringify(counts)).expire(keys.rejects(runId), RUN_TTL_SECONDS);
  const exKey = keys.rejectExamples(runId);
  for (const [reason, list] of Object.entries(examples)) {
    // Keep the examples of the lowest chunk numbers, so reruns give the same report.
    tx.hsetnx(exKey, `${reason}:${String(chunk).padStart(9, '0')}`, JSON.stringify(list.slice(0, EXAMPLES_PER_REASON)));
  }
  tx.expire(exKey, RUN_TTL_SECONDS);
  await tx.exec();
}

export interface RejectionSummary {
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  examples: Record<string, RejectExample[]>;
}

/** Sum every chunk of a run; examples are the first few per reason in chunk order. */
export async function readRejections(redis: Redis, keys: StateKeys, runId: string): Promise<RejectionSummary> {
  const [chunks, ex] = await Promise.all([redis.hgetall(keys.rejects(runId)), redis.hgetall(keys.rejectExamples(runId))]);
  const out: RejectionSummary = { accepted: 0, rejected: 0, reasons: {}, warnings: {}, examples: {} };
  for (const text of Object.values(chunks)) {
    const c = JSON.parse(text) as ChunkCounts;
    out.accepted += c.accepted;
    out.rejected += c.rejected;
    for (const [k, n] of Object.entries(c.reasons)) out.reasons[k] = (out.reasons[k] ?? 0) + n;
    for (const [k, n] of Object.entries(c.warnings)) out.warnings[k] = (out.warnings[k] ?? 0) + n;
  }
  for (const field of Object.keys(ex).sort()) {
    const reason = field.slice(0, field.lastIndexOf(':'));
    const list = (out.examples[reason] ??= []);
    for (const e of JSON.parse(ex[field] ?? '[]') as RejectExample[]) if (list.length < EXAMPLES_PER_REASON) list.push(e);
  }
  return out;
}
