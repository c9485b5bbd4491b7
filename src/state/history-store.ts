/**
 * A target's history in Redis: one entry per writing reconcile (history-diff.ts has the shape), kept as
 * diffs, plus one head (each location's content after the newest entry):
 *
 *   <prefix>:state:hist:<target>      sorted set: run id, score = recorded time (epoch ms)
 *   <prefix>:state:histent:<target>   hash: run id -> entry (JSON)
 *   <prefix>:state:histhead:<target>  hash: location display name -> its ranges, one per line
 *
 * recordHistory writes an entry and replaces the head in one fenced script (only while the target lock
 * holds the caller's token), then trims: entries older than `keepDays` and all but the newest
 * `keepRuns` go. Memory is therefore bounded by keepRuns entries of at most a run's diff each, plus one
 * head (the target's content: ~20 bytes a range). Trimmed runs can no longer be reconstructed.
 * readHistory is the reader for the CLI and the status page (oldest first; each entry carries `total`,
 * the range count after it, for a ranges-over-time chart). reconstructRun rebuilds what a run left.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { LockLostError } from './errors/lock-lost-error.ts';
import { contentHash, reconstructAt, unionOf, type HistoryEntry, type LocationContents } from './history-diff.ts';
import type { StateKeys } from './redis-keys.ts';
import type { TargetLock } from './target-lock.ts';

export interface HistoryRetention {
  keepRuns: number;
  keepDays: number;
}

// KEYS: lock, index, entries, head. ARGV: token, run, score (ms), entry JSON, keepRuns, oldest score
// kept, then (location name, ranges text) pairs of the new head.
const RECORD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('DEL', KEYS[4])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
for _, m in ipairs(old) do if m ~= ARGV[2] then redis.call('HDEL', KEYS[3], m); redis.call('ZREM', KEYS[2], m) end end
local n = redis.call('ZCARD', KEYS[2])
local keep = tonumber(ARGV[5])
if n > keep then
  local drop = redis.call('ZRANGE', KEYS[2], 0, n - keep - 1)
  for _, m in ipairs(drop) do redis.call('HDEL', KEYS[3], m) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - keep - 1)
end
return #old`;

/** Record one writing run and its resulting contents (the new head); trims to the retention. */
export async function recordHistory(redis: RedisClient, keys: StateKeys, lock: TargetLock, entry: HistoryEntry, head: LocationContents, retention: HistoryRetention, now = Date.now()): Promise<void> {
  const t = lock.target;
  const pairs: string[] = [];
  for (const [name, ranges] of head) if (ranges.length > 0) pairs.push(name, ranges.join('\n'));
  const oldest = now - retention.keepDays * 86_400_000;
  const args = [String(lock.token), entry.run, String(now), JSON.stringify(entry), String(retention.keepRuns), String(oldest), ...pairs];
  const r = await redis.eval(RECORD, 4, keys.lock(t), keys.history(t), keys.historyEntries(t), keys.historyHead(t), ...args);
  if (r === -1) throw new LockLostError(t, lock.token);
}

export interface HistoryQuery {
  /** Only entries recorded at or after this time (epoch ms). */
  sinceMs?: number;
  /** At most this many, the newest (default: every one kept). */
  limit?: number;
}

/** Entries per HMGET. */
const READ_BATCH = 200;

async function entriesOf(redis: RedisClient, keys: StateKeys, target: string, runs: readonly string[]): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  for (let i = 0; i < runs.length; i += READ_BATCH) {
    const texts = await redis.hmget(keys.historyEntries(target), ...runs.slice(i, i + READ_BATCH));
    for (const t of texts) if (t !== null) out.push(JSON.parse(t) as HistoryEntry);
  }
  return out;
}

/** A target's history, oldest first (the reader of `tq-entra history` and the status page). */
export async function readHistory(redis: RedisClient, keys: StateKeys, target: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
  const min = query.sinceMs === undefined ? '-inf' : String(query.sinceMs);
  let runs = await redis.zrangebyscore(keys.history(target), min, '+inf');
  if (query.limit !== undefined && runs.length > query.limit) runs = runs.slice(runs.length - query.limit);
  return entriesOf(redis, keys, target, runs);
}

/** Each location's content after the newest entry (empty when nothing was recorded). */
export async function readHead(redis: RedisClient, keys: StateKeys, target: string): Promise<LocationContents> {
  const h = await redis.hgetall(keys.historyHead(target));
  return new Map(Object.entries(h).map(([name, text]) => [name, text === '' ? [] : text.split('\n')]));
}

export interface Reconstructed {
  entry: HistoryEntry;
  contents: LocationContents;
  /** Sorted union of the contents. */
  ranges: string[];
  /** The hash of `ranges` equals the entry's: false when Entra was changed outside the service since. */
  verified: boolean;
}

/** What run `run` left in the target's locations, rebuilt from the head and the newer diffs; undefined when not in the history. */
export async function reconstructRun(redis: RedisClient, keys: StateKeys, target: string, run: string): Promise<Reconstructed | undefined> {
  const rank = await redis.zrank(keys.history(target), run);
  if (rank === null) return undefined;
  const runs = await redis.zrange(keys.history(target), String(rank), '-1');
  const [entry, ...newer] = await entriesOf(redis, keys, target, runs);
  if (!entry || entry.run !== run) return undefined;
  const contents = reconstructAt(await readHead(redis, keys, target), newer.reverse());
  const ranges = unionOf(contents);
  return { entry, contents, ranges, verified: contentHash(ranges) === entry.hash };
}
