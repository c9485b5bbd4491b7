/**
 * The owned-ranges record of a target: the canonical CIDRs this service itself wrote into the
 * target's named locations. Mirror mode removes only these; ranges an administrator added by hand are
 * never in the set and so survive (invariant 2). Updated only after a successful write, and only
 * while the writer still holds the target lock (fenced by token).
 */
import type { Redis } from 'ioredis';
import type { StateKeys } from './redis-keys.ts';
import { LockLostError, type TargetLock } from './target-lock.ts';

// KEYS[1] lock, KEYS[2] owned set; ARGV[1] token, ARGV[2] count to add, then added..., then removed...
const FENCED_UPDATE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local nadd = tonumber(ARGV[2])
for i = 3, 2 + nadd, 5000 do
  local last = math.min(2 + nadd, i + 4999)
  redis.call('SADD', KEYS[2], unpack(ARGV, i, last))
end
for i = 3 + nadd, #ARGV, 5000 do
  local last = math.min(#ARGV, i + 4999)
  redis.call('SREM', KEYS[2], unpack(ARGV, i, last))
end
return 1`;

export async function readOwnedRanges(redis: Redis, keys: StateKeys, target: string): Promise<Set<string>> {
  return new Set(await redis.smembers(keys.owned(target)));
}

/** Record ranges written (added) and removed by one successful write, under the lock's fencing token. */
export async function recordOwnedChange(
  redis: Redis,
  keys: StateKeys,
  lock: TargetLock,
  added: readonly string[],
  removed: readonly string[],
): Promise<void> {
  if (added.length === 0 && removed.length === 0) return;
  const r = await redis.eval(FENCED_UPDATE, 2, keys.lock(lock.target), keys.owned(lock.target), String(lock.token), String(added.length), ...added, ...removed);
  if (r === -1) throw new LockLostError(lock.target, lock.token);
}

/** Forget every owned range of a target (tests, and `clearOnManualRun` once the locations hold exactly the desired set). */
export async function replaceOwnedRanges(redis: Redis, keys: StateKeys, lock: TargetLock, ranges: readonly string[]): Promise<void> {
  await lock.assertHeld();
  const tmp = `${keys.owned(lock.target)}:tmp:${lock.token}`;
  const tx = redis.multi().del(tmp);
  for (let i = 0; i < ranges.length; i += 5000) tx.sadd(tmp, ...ranges.slice(i, i + 5000));
  if (ranges.length > 0) tx.rename(tmp, keys.owned(lock.target));
  else tx.del(keys.owned(lock.target));
  await tx.exec();
}
