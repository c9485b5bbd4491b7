/**
 * The write-back pace of one ThreatQ instance, shared by every worker process through Redis, so that
 * all write-back jobs against the instance (one per source, in any process) together send at most
 * `writeBack.requestsPerSecond` requests per second.
 *
 *   <prefix>:threatq:pace:<instance>   the time (ms, Redis clock) of the next free slot
 *
 * The instance is the origin of the source's `url` (scheme, host in lower case, port unless the
 * default: `https://tq.example.com`), so two sources on one instance (say two API users, or two sets
 * of collections) share one pace. Their `requestsPerSecond` may differ: the lowest among the sources
 * with `writeBack` on that instance applies to all of them (writeBackPaceOf), so the instance never
 * gets more than the most careful setting allows.
 *
 * A Lua script hands out `max(now, next)` and moves `next` on by `1000 / requestsPerSecond`,
 * atomically; the caller sleeps until its slot. The key expires a minute after its last slot. Retries
 * of one request (429/5xx) are spaced by the retry policy, not by this pace.
 */
import type { RedisClient } from '../../../redis/redis-connection.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, ThreatQSourceConfig } from '../../../config/schema.ts';

const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', slot + interval - now + 60000)
return slot - now
`;

const DEFAULT_REQUESTS_PER_SECOND = 5;

function writeBackPaceKey(prefix: string, instance: string): string {
  return `${prefix}:threatq:pace:${encodeURIComponent(instance)}`;
}

/** The ThreatQ instance of a source URL: its origin (`https://tq.example.com`), or the text itself when it is no URL. */
export function threatqInstanceOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url.trim().toLowerCase();
  }
}

/** The pace of `source`: its instance and the lowest `requestsPerSecond` of the write-back sources there. */
export function writeBackPaceOf(config: Config, source: ThreatQSourceConfig): { instance: string; requestsPerSecond: number } {
  const instance = threatqInstanceOf(source.url);
  let rps = source.writeBack?.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
  for (const s of config.sources) {
    if (s.kind === 'threatq' && s.writeBack !== undefined && threatqInstanceOf(s.url) === instance) rps = Math.min(rps, s.writeBack.requestsPerSecond);
  }
  return { instance, requestsPerSecond: rps };
}

/** A function to await before each write-back request to `instance` (threatqInstanceOf). */
export function createWriteBackPacer(redis: RedisClient, prefix: string, instance: string, requestsPerSecond: number): () => Promise<void> {
  const intervalMs = Math.max(1, Math.round(1000 / requestsPerSecond));
  const key = writeBackPaceKey(prefix, instance);
  return async () => {
    const waitMs = Number(await redis.eval(TAKE_SLOT, 1, key, String(intervalMs)));
    if (waitMs > 0) await sleep(waitMs);
  };
}
