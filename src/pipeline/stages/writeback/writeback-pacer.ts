/**
 * The write-back pace of one ThreatQ instance (a configured ThreatQ source), shared by every worker
 * process through Redis, so that all write-back jobs of the source (one per collection, in any
 * process) together send at most `writeBack.requestsPerSecond` requests per second.
 *
 *   <prefix>:threatq:pace:<source>   the time (ms, Redis clock) of the next free slot
 *
 * A Lua script hands out `max(now, next)` and moves `next` on by `1000 / requestsPerSecond`,
 * atomically; the caller sleeps until its slot. The key expires a minute after its last slot. Retries
 * of one request (429/5xx) are spaced by the retry policy, not by this pace.
 */
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', slot + interval - now + 60000)
return slot - now
`;

function writeBackPaceKey(prefix: string, source: string): string {
  return `${prefix}:threatq:pace:${encodeURIComponent(source)}`;
}

/** A function to await before each write-back request of `source`. */
export function createWriteBackPacer(redis: Redis, prefix: string, source: string, requestsPerSecond: number): () => Promise<void> {
  const intervalMs = Math.max(1, Math.round(1000 / requestsPerSecond));
  const key = writeBackPaceKey(prefix, source);
  return async () => {
    const waitMs = Number(await redis.eval(TAKE_SLOT, 1, key, String(intervalMs)));
    if (waitMs > 0) await sleep(waitMs);
  };
}
