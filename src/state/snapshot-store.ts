/**
 * Snapshots of source collections in Redis.
 *
 * A run stages each ingest chunk under its own key (with a TTL, so abandoned runs vanish), then the
 * collect job commits: one MULTI that replaces the committed snapshot blob and its metadata and
 * deletes the staging keys. Until that MULTI runs, readers see the previous snapshot whole; a failed
 * or incomplete run never replaces it (invariant 1).
 *
 * The whitelist of a source collection (ThreatQ's whitelist entries, sources/threatq-source.ts) goes
 * the same way: the collect attempt appends the raw values to a list under keys.whitelistStage (same
 * TTL), and the commit replaces the committed whitelist (canonical CIDRs, one per line; an empty
 * whitelist commits as the empty string) in the snapshot's MULTI, so a failed run changes neither.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { StateKeys } from './redis-keys.ts';
import { queueProvenanceCommit } from './provenance-store.ts';
import { decodeRanges, encodeRanges, type EncodedRanges, type WeightedRange } from './snapshot-codec.ts';

/** Staged chunks of an abandoned run expire after this long. */
export const STAGE_TTL_SECONDS = 24 * 3600;

export interface SnapshotMeta {
  runId: string;
  committedAt: string;
  /** Indicators the source returned (before type/status filtering). */
  seen: number;
  accepted: number;
  rejected: number;
  ranges: number;
}

export interface Snapshot {
  source: string;
  collection: string;
  entries: WeightedRange[];
  meta: SnapshotMeta;
}

export async function stageChunk(
  redis: RedisClient,
  keys: StateKeys,
  runId: string,
  chunk: number,
  entries: readonly WeightedRange[],
  ttlSeconds = STAGE_TTL_SECONDS,
): Promise<void> {
  await redis.set(keys.stage(runId, chunk), encodeRanges(entries), 'EX', ttlSeconds);
}

/** The staged chunks of a run, in chunk order; a missing chunk is reported (never silently skipped). */
export async function readStagedChunks(
  redis: RedisClient,
  keys: StateKeys,
  runId: string,
  chunks: number,
): Promise<{ entries: WeightedRange[][]; missing: number[] }> {
  const { texts, missing } = await readStagedTexts(redis, keys, runId, chunks);
  return { entries: texts.map((t) => decodeRanges(t)), missing };
}

/** Keys per MGET when reading staged chunks (a chunk of 5000 ranges is about 150 kB). */
const STAGE_READ_BATCH = 32;

/**
 * The staged chunks of a run as stored text (null where missing), in chunk order, read with MGET in
 * batches. Holds every chunk's text at once: a large run reads them with `forEachStagedText`.
 */
export async function readStagedTexts(
  redis: RedisClient,
  keys: StateKeys,
  runId: string,
  chunks: number,
): Promise<{ texts: (string | null)[]; missing: number[] }> {
  const texts: (string | null)[] = [];
  const missing = await forEachStagedText(redis, keys, runId, chunks, (text) => {
    texts.push(text);
  });
  return { texts, missing };
}

/**
 * Visit the staged chunks of a run in chunk order, one MGET batch in memory at a time (never every
 * chunk's text at once); `visit` gets null for a missing chunk. Returns the missing chunk numbers.
 */
export async function forEachStagedText(redis: RedisClient, keys: StateKeys, runId: string, chunks: number, visit: (text: string | null, chunk: number) => void): Promise<number[]> {
  const missing: number[] = [];
  for (let first = 0; first < chunks; first += STAGE_READ_BATCH) {
    const batch: string[] = [];
    for (let i = first; i < Math.min(chunks, first + STAGE_READ_BATCH); i += 1) batch.push(keys.stage(runId, i));
    const got = await redis.mget(...batch);
    got.forEach((text, k) => {
      if (text === null) missing.push(first + k);
      visit(text, first + k);
    });
  }
  return missing;
}

/** Every staged range of a run, decoded lazily chunk by chunk. */
export function* stagedRanges(texts: readonly (string | null)[]): Generator<WeightedRange> {
  for (const text of texts) yield* decodeRanges(text);
}

/** Append whitelist values staged by one collect attempt (`stageRunId`); the list expires like chunks. */
export async function stageWhitelist(redis: RedisClient, keys: StateKeys, stageRunId: string, values: readonly string[], ttlSeconds = STAGE_TTL_SECONDS): Promise<void> {
  if (values.length === 0) return;
  const key = keys.whitelistStage(stageRunId);
  const results = await redis.multi().rpush(key, ...values).expire(key, ttlSeconds).exec();
  const failed = results?.find(([err]) => err !== null);
  if (!results || failed) throw failed?.[0] ?? new Error('whitelist staging was aborted');
}

/** Values per LRANGE when reading a staged whitelist. */
const WHITELIST_READ_BATCH = 10_000;

/** The whitelist values staged by one collect attempt, in staging order (empty when none were). */
export async function readStagedWhitelist(redis: RedisClient, keys: StateKeys, stageRunId: string): Promise<string[]> {
  const key = keys.whitelistStage(stageRunId);
  const out: string[] = [];
  for (let first = 0; ; first += WHITELIST_READ_BATCH) {
    const batch = await redis.lrange(key, first, first + WHITELIST_READ_BATCH - 1);
    for (const v of batch) out.push(v);
    if (batch.length < WHITELIST_READ_BATCH) return out;
  }
}

/** The committed whitelist of a source collection (canonical CIDRs); null when none was ever committed. */
export async function readWhitelist(redis: RedisClient, keys: StateKeys, source: string, collection: string): Promise<string[] | null> {
  const text = await redis.get(keys.whitelist(source, collection));
  if (text === null) return null;
  return text === '' ? [] : text.split('\n');
}

/**
 * Atomically replace the committed snapshot of a source collection and drop the run's staging keys
 * (`stageRunId`: the id the chunks were staged under, when it differs from meta.runId, e.g. the
 * per-attempt id of a collect run). `whitelist` (canonical CIDRs; given for every ThreatQ collect run,
 * empty included) replaces the collection's committed whitelist in the same MULTI and drops its
 * staged list; undefined leaves the whitelist as it is. `provenance` (provenance-store.ts): the run's
 * staged provenance chunks replace the snapshot's provenance in the same MULTI, copied by Redis.
 * `entries` may come encoded already
 * (snapshot-codec.ts encodeMerged: a large run never builds an object per range).
 */
export async function commitSnapshot(
  redis: RedisClient,
  keys: StateKeys,
  source: string,
  collection: string,
  entries: readonly WeightedRange[] | EncodedRanges,
  meta: SnapshotMeta,
  stagedChunks: number,
  stageRunId: string = meta.runId,
  whitelist?: readonly string[],
  provenance = false,
): Promise<void> {
  const tx = redis.multi();
  if (provenance) queueProvenanceCommit(tx, keys, source, collection, stageRunId, stagedChunks);
  if (whitelist !== undefined) {
    tx.set(keys.whitelist(source, collection), whitelist.join('\n'));
    tx.del(keys.whitelistStage(stageRunId));
  }
  tx.set(keys.snapshot(source, collection), isEncoded(entries) ? entries.text : encodeRanges(entries));
  tx.del(keys.snapshotMeta(source, collection));
  tx.hset(keys.snapshotMeta(source, collection), {
    runId: meta.runId,
    committedAt: meta.committedAt,
    seen: String(meta.seen),
    accepted: String(meta.accepted),
    rejected: String(meta.rejected),
    ranges: String(meta.ranges),
  });
  for (let i = 0; i < stagedChunks; i += 1) tx.del(keys.stage(stageRunId, i));
  const results = await tx.exec();
  const failed = results?.find(([err]) => err !== null);
  if (!results || failed) throw failed?.[0] ?? new Error('snapshot commit was aborted');
}

function isEncoded(entries: readonly WeightedRange[] | EncodedRanges): entries is EncodedRanges {
  return !Array.isArray(entries);
}

export async function readSnapshotMeta(redis: RedisClient, keys: StateKeys, source: string, collection: string): Promise<SnapshotMeta | null> {
  const h = await redis.hgetall(keys.snapshotMeta(source, collection));
  if (!h['runId']) return null;
  return {
    runId: h['runId'],
    committedAt: h['committedAt'] ?? '',
    seen: Number(h['seen'] ?? 0),
    accepted: Number(h['accepted'] ?? 0),
    rejected: Number(h['rejected'] ?? 0),
    ranges: Number(h['ranges'] ?? 0),
  };
}

/** The committed snapshot of a source collection as stored text (decode with forEachRange), or null. */
export async function readSnapshotText(redis: RedisClient, keys: StateKeys, source: string, collection: string): Promise<{ text: string; meta: SnapshotMeta } | null> {
  const [text, meta] = await Promise.all([redis.get(keys.snapshot(source, collection)), readSnapshotMeta(redis, keys, source, collection)]);
  if (text === null || meta === null) return null;
  return { text, meta };
}

export async function readSnapshot(redis: RedisClient, keys: StateKeys, source: string, collection: string): Promise<Snapshot | null> {
  const [text, meta] = await Promise.all([redis.get(keys.snapshot(source, collection)), readSnapshotMeta(redis, keys, source, collection)]);
  if (text === null || meta === null) return null;
  return { source, collection, entries: decodeRanges(text), meta };
}
