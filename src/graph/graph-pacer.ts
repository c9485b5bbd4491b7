/**
 * Tenant-wide Graph pacing, shared by every process through Redis.
 *
 * Microsoft limits conditional access and named-location calls to 1 request per second per tenant,
 * across all apps, and their 429s carry no Retry-After. Every such request first takes a slot here:
 *
 * - `<prefix>:graph:pace:<tenantId>` holds the time (ms, Redis clock) of the next free slot. A Lua
 *   script hands out `max(now, next)` and moves `next` on by the interval, atomically, so callers in
 *   any process get slots spaced by at least the interval; each caller sleeps until its slot.
 * - `<prefix>:graph:blocked:<tenantId>` holds a "blocked until" time set after a 429. While it is in
 *   the future no slot is handed out: `acquire` reports the remaining block instead, and the caller
 *   either sleeps (CLI) or surfaces it (workers pause their queue).
 * - The interval is `1000 / requestsPerSecond` plus a margin of 10%, and at least 100 ms (half the
 *   interval at rates above 5 per second, so high test and emulator rates stay high): the time from
 *   taking a slot to the request reaching Graph varies (a cold TLS connection costs ~100 ms more than
 *   a warm one), and without the margin two requests from different processes can land closer than
 *   the limit. A 429 that still slips through is handled as below.
 * - Times come from Redis `TIME`, so process clocks do not matter. Keys expire by themselves.
 */
import type { Redis } from 'ioredis';

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {0, blocked - now} end
local nextSlot = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nextSlot)
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', slot + interval - now + 60000)
return {1, slot - now}
`;

const BLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then
  redis.call('SET', KEYS[1], tostring(untilMs), 'PX', tonumber(ARGV[1]) + 1000)
  return tonumber(ARGV[1])
end
return current - now
`;

const REMAINING = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
if blocked > now then return blocked - now end
return 0
`;

export type PaceResult = { granted: true; waitMs: number } | { granted: false; blockedForMs: number };

export interface GraphPacer {
  readonly intervalMs: number;
  /** Take the next slot; `waitMs` is how long to sleep before sending. Not granted while blocked. */
  tryAcquire(): Promise<PaceResult>;
  /** Record a tenant-wide block for `ms` (keeps a longer block already recorded). Returns the block in force. */
  blockFor(ms: number): Promise<number>;
  /** Remaining tenant-wide block in ms (0 when none). */
  blockedForMs(): Promise<number>;
}

export function paceKeys(prefix: string, tenantId: string): { pace: string; blocked: string } {
  return { pace: `${prefix}:graph:pace:${tenantId}`, blocked: `${prefix}:graph:blocked:${tenantId}` };
}

export function paceIntervalMs(requestsPerSecond: number): number {
  if (!(requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be > 0, got ${requestsPerSecond}`);
  const base = 1000 / requestsPerSecond;
  return Math.ceil(base + Math.max(base * 0.1, Math.min(100, base / 2)));
}

export function createGraphPacer(redis: Redis, prefix: string, tenantId: string, requestsPerSecond: number): GraphPacer {
  const keys = paceKeys(prefix, tenantId);
  const intervalMs = paceIntervalMs(requestsPerSecond);
  return {
    intervalMs,
    async tryAcquire() {
      const [granted, ms] = (await redis.eval(ACQUIRE, 2, keys.pace, keys.blocked, String(intervalMs))) as [number, number];
      return granted === 1 ? { granted: true, waitMs: Number(ms) } : { granted: false, blockedForMs: Number(ms) };
    },
    async blockFor(ms) {
      return Number(await redis.eval(BLOCK, 1, keys.blocked, String(Math.max(1, Math.ceil(ms)))));
    },
    async blockedForMs() {
      return Number(await redis.eval(REMAINING, 1, keys.blocked));
    },
  };
}
