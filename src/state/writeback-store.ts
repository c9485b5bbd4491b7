/**
 * The write-back record of a ThreatQ source (keys.writeBack): what the service wrote on each ThreatQ
 * indicator, so that a run writes only what differs and a re-run writes nothing. One record per source,
 * not per collection: tags and attributes live on the indicator, which every collection of the
 * instance shares (an indicator in two collections carries one tag and one attribute per target).
 *
 *   <prefix>:state:wb:<source>   hash
 *     "<indicator id>"  JSON [range, tagId, removedTagId, {"<target>": [attributeId, typeId, since, removed?]}]
 *                       (ids 0 when absent, the object omitted when empty; times in epoch seconds)
 *     "_names"          JSON {"tag:<tag id>": name, "attr:<attribute type id>": name}: the names the
 *                       ids were written under (a renamed tag or attribute is then replaced)
 *     "_pass"           fingerprint of the last complete pass (run-writeback.ts skips an identical one)
 *     "_last"           JSON summary of the last run: status, finishedAt, counts, error code and message
 *
 * Only indicators carrying something the service wrote have an entry (with `onRemoval: untag`, the
 * indicators whose range is enforced now); meta fields start with `_`, which no indicator id does.
 * `range` is the canonical CIDR of the indicator's value when last seen, so an indicator that left the
 * source's collections is still judged by its range. Entries are read per page (HMGET) and swept with HSCAN,
 * never all at once. Memory: 124 bytes of Redis per indicator with a tag and one attribute (measured,
 * test/integration/pipeline.writeback-stage.test.ts), e.g. 47 MB for a full target of 382,000.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { StateKeys } from './redis-keys.ts';

/** The attribute written for one target. */
export interface WrittenAttributeRecord {
  id: number;
  /** The attribute type id (`attribute_id`), whose name is in `_names`. */
  type: number;
  /** Epoch seconds since which the target enforces the range (the value says so). */
  since: number;
  /** Epoch seconds when the target stopped enforcing it (`onRemoval: tag` only). */
  removed?: number;
}

export interface WriteBackEntry {
  range: string;
  /** Id of the tag `writeBack.tag` as attached. */
  tag?: number;
  /** Id of the tag `writeBack.removedTag` as attached. */
  removedTag?: number;
  attributes: Record<string, WrittenAttributeRecord>;
}

export interface WriteBackRunSummary {
  status: 'succeeded' | 'failed' | 'skipped';
  finishedAt: string;
  counts: Record<string, number>;
  error?: { code: string; message: string };
}

const META_NAMES = '_names';
const META_PASS = '_pass';
const META_LAST = '_last';
const SCAN_COUNT = 500;

type AttributeTuple = [number, number, number] | [number, number, number, number];
type EntryTuple = [string, number, number] | [string, number, number, Record<string, AttributeTuple>];

export function encodeEntry(e: WriteBackEntry): string {
  const attrs: Record<string, AttributeTuple> = {};
  for (const [target, a] of Object.entries(e.attributes)) attrs[target] = a.removed === undefined ? [a.id, a.type, a.since] : [a.id, a.type, a.since, a.removed];
  const head: [string, number, number] = [e.range, e.tag ?? 0, e.removedTag ?? 0];
  const tuple: EntryTuple = Object.keys(attrs).length === 0 ? head : [...head, attrs];
  return JSON.stringify(tuple);
}

/** An entry, or undefined when the text is not one (a field of another layout: treated as absent). */
export function decodeEntry(text: string): WriteBackEntry | undefined {
  let t: unknown;
  try {
    t = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(t) || typeof t[0] !== 'string') return undefined;
  const [range, tag, removedTag, attrs] = t as [string, unknown, unknown, unknown];
  const e: WriteBackEntry = { range, attributes: {} };
  if (typeof tag === 'number' && tag > 0) e.tag = tag;
  if (typeof removedTag === 'number' && removedTag > 0) e.removedTag = removedTag;
  if (attrs !== null && typeof attrs === 'object') {
    for (const [target, a] of Object.entries(attrs as Record<string, unknown>)) {
      if (!Array.isArray(a) || typeof a[0] !== 'number') continue;
      const [id = 0, type = 0, since = 0, removed] = a as number[];
      e.attributes[target] = { id, type, since, ...(typeof removed === 'number' ? { removed } : {}) };
    }
  }
  return e;
}

/** The entries of these indicator ids (absent ids are not in the map). */
export async function readWriteBackEntries(redis: RedisClient, keys: StateKeys, source: string, ids: readonly string[]): Promise<Map<string, WriteBackEntry>> {
  const out = new Map<string, WriteBackEntry>();
  if (ids.length === 0) return out;
  const texts = await redis.hmget(keys.writeBack(source), ...ids);
  ids.forEach((id, i) => {
    const text = texts[i];
    const e = text === null || text === undefined ? undefined : decodeEntry(text);
    if (e !== undefined) out.set(id, e);
  });
  return out;
}

/** Store entries (set) and forget others (deleted), with names learned, in one MULTI. */
export async function writeWriteBackEntries(
  redis: RedisClient,
  keys: StateKeys,
  where: { source: string },
  change: { set: ReadonlyMap<string, WriteBackEntry>; deleted: readonly string[]; names?: ReadonlyMap<string, string> },
): Promise<void> {
  const key = keys.writeBack(where.source);
  const tx = redis.multi();
  if (change.set.size > 0) tx.hset(key, Object.fromEntries([...change.set].map(([id, e]) => [id, encodeEntry(e)])));
  if (change.deleted.length > 0) tx.hdel(key, ...change.deleted);
  if (change.names !== undefined && change.names.size > 0) {
    const current = await readWriteBackNames(redis, keys, where.source);
    for (const [k, v] of change.names) current.set(k, v);
    tx.hset(key, META_NAMES, JSON.stringify(Object.fromEntries(current)));
  }
  await tx.exec();
}

/** `tag:<id>` / `attr:<type id>` → name. */
export async function readWriteBackNames(redis: RedisClient, keys: StateKeys, source: string): Promise<Map<string, string>> {
  const text = await redis.hget(keys.writeBack(source), META_NAMES);
  try {
    return new Map(Object.entries((text === null ? {} : JSON.parse(text)) as Record<string, string>));
  } catch {
    return new Map();
  }
}

/** Every entry, in HSCAN batches (a field may come twice while the hash changes: harmless to a sweep). */
export async function* scanWriteBackEntries(redis: RedisClient, keys: StateKeys, source: string): AsyncGenerator<[string, WriteBackEntry][]> {
  const key = keys.writeBack(source);
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    const batch: [string, WriteBackEntry][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const id = flat[i] ?? '';
      const e = id.startsWith('_') ? undefined : decodeEntry(flat[i + 1] ?? '');
      if (e !== undefined) batch.push([id, e]);
    }
    if (batch.length > 0) yield batch;
  } while (cursor !== '0');
}

export async function readWriteBackPass(redis: RedisClient, keys: StateKeys, source: string): Promise<string | null> {
  return redis.hget(keys.writeBack(source), META_PASS);
}

/** Record the last run's summary, and the fingerprint of a complete pass (or clear it). */
export async function recordWriteBackRun(
  redis: RedisClient,
  keys: StateKeys,
  where: { source: string },
  summary: WriteBackRunSummary,
  pass: string | undefined,
): Promise<void> {
  const key = keys.writeBack(where.source);
  const tx = redis.multi().hset(key, META_LAST, JSON.stringify(summary));
  if (pass === undefined) tx.hdel(key, META_PASS);
  else tx.hset(key, META_PASS, pass);
  await tx.exec();
}

export async function readWriteBackRun(redis: RedisClient, keys: StateKeys, source: string): Promise<WriteBackRunSummary | undefined> {
  const text = await redis.hget(keys.writeBack(source), META_LAST);
  return text === null ? undefined : (JSON.parse(text) as WriteBackRunSummary);
}
