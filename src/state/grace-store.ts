/**
 * The removal-grace record of a target (src/reconcile/removal-grace.ts has the rules): one hash,
 * range (canonical CIDR) → the time a reconcile first saw it absent from the desired set (epoch ms,
 * decimal). It holds only the ranges currently in grace, so its size follows the flapping ranges, never
 * the history. Read without the lock (a dry run reads it too); changed only by the target lock's holder
 * (fenced by token, like the owned-ranges record): new entries before apply, set only where no valid
 * time is recorded (an earlier first-absent time is never moved later), deletions once apply succeeded.
 *
 *   <prefix>:state:grace:<target>    hash: range → first absent (ms)
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { LockLostError } from './errors/lock-lost-error.ts';
import type { StateKeys } from './redis-keys.ts';
import type { TargetLock } from './target-lock.ts';

// KEYS[1] lock, KEYS[2] grace hash; ARGV[1] token, ARGV[2] n entries to set, then n (range, ms) pairs,
// then the ranges to delete.
const FENCED_UPDATE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[2])
for i = 3, 2 + 2 * n, 2 do
  if not tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '') then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
for i = 3 + 2 * n, #ARGV, 5000 do
  local last = math.min(#ARGV, i + 4999)
  redis.call('HDEL', KEYS[2], unpack(ARGV, i, last))
end
return 1`;

/** Range → first absent (ms). An entry whose value is not a number is left out (the next run's start overwrites it). */
export async function readGrace(redis: RedisClient, keys: StateKeys, target: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [cidr, raw] of Object.entries(await redis.hgetall(keys.grace(target)))) {
    const ms = Number(raw);
    if (raw !== '' && Number.isFinite(ms)) out.set(cidr, ms);
  }
  return out;
}

/** Record ranges first seen absent (kept where already recorded) and forget others, under the lock's fencing token. */
export async function updateGrace(
  redis: RedisClient,
  keys: StateKeys,
  lock: TargetLock,
  change: { start?: readonly { cidr: string; since: number }[]; forget?: readonly string[] },
): Promise<void> {
  const start = change.start ?? [];
  const forget = change.forget ?? [];
  if (start.length === 0 && forget.length === 0) return;
  const pairs = start.flatMap((s) => [s.cidr, String(Math.round(s.since))]);
  const r = await redis.eval(FENCED_UPDATE, 2, keys.lock(lock.target), keys.grace(lock.target), String(lock.token), String(start.length), ...pairs, ...forget);
  if (r === -1) throw new LockLostError(lock.target, lock.token);
}
