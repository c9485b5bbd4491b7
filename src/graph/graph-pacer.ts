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
 *   either sleeps ('wait': the CLI and the reconcile stage) or surfaces it ('throw'). A worker whose
 *   request stays throttled through every attempt delays that job alone for the block in force
 *   (workers/job-signals.ts): the block is per tenant, so other tenants' work goes on.
 * - The interval is `1000 / requestsPerSecond` plus a margin of 10%, and at least 100 ms (half the
 *   interval at rates above 5 per second, so high test and emulator rates stay high): the time from
 *   taking a slot to the request reaching Graph varies (a cold TLS connection costs ~100 ms more than
 *   a warm one), and without the margin two requests from different processes can land closer than
 *   the limit. A 429 that still slips through is handled as below.
 * - A request that left late (`markSent`: its bytes went out on the socket after the slot, behind a
 *   TLS handshake or a busy event loop, as with dozens of tenants' reconciles in one process) moves the
 *   next slot to one interval after it actually left, so a late request and a punctual next one never
 *   reach Graph closer than the interval.
 * - `<prefix>:graph:throttle-streak:<tenantId>` counts the tenant's 429s in a row, across processes
 *   (Microsoft: conditional access 429s carry no Retry-After, back off exponentially). Each 429 makes
 *   the block `min(cap, 1 s × 2^(streak-1))` with equal jitter (half fixed, half random), never less
 *   than 1 s, cap 60 s (THROTTLE_BACKOFF), and at least a Retry-After when Graph sends one. Any
 *   success resets the streak. The streak is mirrored in the metrics hash `<prefix>:metrics:throttle_streak`
 *   (exported as the gauge tq_entra_graph_throttle_streak{tenant}).
 * - The key's tenant is the token's tenant id (`tid`), not the configured `tenantId` (which may be a
 *   domain name): two targets of one tenant share one pace (graph-client.ts resolves it).
 * - Times come from Redis `TIME`, so process clocks do not matter. Keys expire by themselves.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { metricKeys } from '../observability/metrics-keys.ts';

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

const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextSlot = now - tonumber(ARGV[2]) + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if nextSlot > current then redis.call('SET', KEYS[1], tostring(nextSlot), 'PX', nextSlot - now + 60000) end
return 0
`;

const THROTTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local streak = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[5], streak)
local cap = tonumber(ARGV[2])
redis.call('PEXPIRE', KEYS[2], cap * 4 + 60000)
local expo = math.min(cap, tonumber(ARGV[1]) * math.pow(2, math.min(streak - 1, 30)))
local pause = math.max(tonumber(ARGV[1]), math.floor(expo / 2 + expo / 2 * tonumber(ARGV[3])))
pause = math.max(pause, tonumber(ARGV[4]))
local untilMs = now + pause
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then
  redis.call('SET', KEYS[1], tostring(untilMs), 'PX', pause + 1000)
  return {streak, pause}
end
return {streak, current - now}
`;

const RESET_STREAK = `
if redis.call('DEL', KEYS[1]) == 1 then redis.call('HSET', KEYS[2], ARGV[1], 0) end
return 0
`;

/** Backoff of the shared 429 streak: from 1 s, doubling, at most 60 s. */
export const THROTTLE_BACKOFF = Object.freeze({ minMs: 1000, capMs: 60_000 });

export type PaceResult = { granted: true; waitMs: number } | { granted: false; blockedForMs: number };

export interface GraphPacer {
  readonly intervalMs: number;
  /** Take the next slot; `waitMs` is how long to sleep before sending. Not granted while blocked. */
  tryAcquire(): Promise<PaceResult>;
  /** A request left `msAgo` ms ago: the next slot is at least one interval after that. */
  markSent(msAgo: number): Promise<void>;
  /** Record a tenant-wide block for `ms` (keeps a longer block already recorded). Returns the block in force. */
  blockFor(ms: number): Promise<number>;
  /** Remaining tenant-wide block in ms (0 when none). */
  blockedForMs(): Promise<number>;
  /** Count a 429 in the tenant's shared streak and block the tenant for the grown pause (≥ retryAfterMs). */
  recordThrottle(retryAfterMs?: number): Promise<{ streak: number; pauseMs: number }>;
  /** A request succeeded: the streak starts again. */
  resetThrottleStreak(): Promise<void>;
  /** 429s in a row for the tenant now (0 when none). */
  throttleStreak(): Promise<number>;
}

export function paceKeys(prefix: string, tenantId: string): { pace: string; blocked: string; streak: string } {
  const t = tenantId.toLowerCase();
  return { pace: `${prefix}:graph:pace:${t}`, blocked: `${prefix}:graph:blocked:${t}`, streak: `${prefix}:graph:throttle-streak:${t}` };
}

export function paceIntervalMs(requestsPerSecond: number): number {
  if (!(requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be > 0, got ${requestsPerSecond}`);
  const base = 1000 / requestsPerSecond;
  return Math.ceil(base + Math.max(base * 0.1, Math.min(100, base / 2)));
}

export function createGraphPacer(redis: RedisClient, prefix: string, tenantId: string, requestsPerSecond: number): GraphPacer {
  const keys = paceKeys(prefix, tenantId);
  const tenant = tenantId.toLowerCase();
  const intervalMs = paceIntervalMs(requestsPerSecond);
  return {
    intervalMs,
    async tryAcquire() {
      const [granted, ms] = (await redis.eval(ACQUIRE, 2, keys.pace, keys.blocked, String(intervalMs))) as [number, number];
      return granted === 1 ? { granted: true, waitMs: Number(ms) } : { granted: false, blockedForMs: Number(ms) };
    },
    async markSent(msAgo) {
      await redis.eval(SENT, 1, keys.pace, String(intervalMs), String(Math.max(0, Math.round(msAgo))));
    },
    async blockFor(ms) {
      return Number(await redis.eval(BLOCK, 1, keys.blocked, String(Math.max(1, Math.ceil(ms)))));
    },
    async blockedForMs() {
      return Number(await redis.eval(REMAINING, 1, keys.blocked));
    },
    async recordThrottle(retryAfterMs) {
      const [streak, pause] = (await redis.eval(
        THROTTLE,
        3,
        keys.blocked,
        keys.streak,
        metricKeys(prefix).throttleStreak,
        String(THROTTLE_BACKOFF.minMs),
        String(THROTTLE_BACKOFF.capMs),
        String(Math.random()),
        String(Math.max(0, Math.ceil(retryAfterMs ?? 0))),
        tenant,
      )) as [number, number];
      return { streak: Number(streak), pauseMs: Number(pause) };
    },
    async resetThrottleStreak() {
      await redis.eval(RESET_STREAK, 2, keys.streak, metricKeys(prefix).throttleStreak, tenant);
    },
    async throttleStreak() {
      return Number((await redis.get(keys.streak)) ?? 0);
    },
  };
}

/**
 * A pacer whose tenant is found on first use (the token's `tid`), so every target of one tenant
 * shares one pace and one 429 streak whatever its configured `tenantId` says.
 */
export function createLazyPacer(intervalMs: number, resolve: () => Promise<GraphPacer>): GraphPacer {
  let inner: Promise<GraphPacer> | undefined;
  const get = () => (inner ??= resolve().catch((e: unknown) => {
    inner = undefined;
    throw e;
  }));
  return {
    intervalMs,
    tryAcquire: async () => (await get()).tryAcquire(),
    markSent: async (ms) => (await get()).markSent(ms),
    blockFor: async (ms) => (await get()).blockFor(ms),
    blockedForMs: async () => (await get()).blockedForMs(),
    recordThrottle: async (ms) => (await get()).recordThrottle(ms),
    resetThrottleStreak: async () => (await get()).resetThrottleStreak(),
    throttleStreak: async () => (await get()).throttleStreak(),
  };
}
