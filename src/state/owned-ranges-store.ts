/**
 * The owned-ranges record of a target: the canonical CIDRs this service itself wrote into the
 * target's named locations. Mirror mode removes only these; ranges an administrator added by hand are
 * never in the set and so survive (invariant 2). Updated only after a successful write, and only
 * while the writer still holds the target lock (fenced by token).
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { StateKeys } from './redis-keys.ts';
import { LockLostError } from './errors/lock-lost-error.ts';
import type { TargetLock } from './target-lock.ts';

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

export async function readOwnedRanges(redis: RedisClient, keys: StateKeys, target: string): Promise<Set<string>> {
  return new Set(await redis.smembers(keys.owned(target)));
}

/** Record ranges written (added) and removed by one successful write, under the lock's fencing token. */
export async function recordOwnedChange(
  redis: RedisClient,
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
export async function replaceOwnedRanges(redis: RedisClient, keys: StateKeys, lock: TargetLock, ranges: readonly string[]): Promise<void> {
  await lock.assertHeld();
  const tmp = `${keys.owned(lock.target)}:tmp:${lock.token}`;
  const tx = redis.multi().del(tmp);
  for (let i = 0; i < ranges.length; i += 5000) tx.sadd(tmp, ...ranges.slice(i, i + 5000));
  if (ranges.length > 0) tx.rename(tmp, keys.owned(lock.target));
  else tx.del(keys.owned(lock.target));
  await tx.exec();
}

/*
 * Object ownership between targets. Per tenant (the Graph token's tenant id, so a GUID and a domain
 * name of one tenant share one record): a hash of Entra object id (lower case) → the target that
 * manages it (its shards and its policy). Written under the target's lock (fenced by token) just
 * before apply's first write, for every object the target manages, touched or not; a deleted object
 * is released. reconcile refuses an object recorded as another target's
 * (ERR_SAFETY_OWNED_BY_OTHER_TARGET), see src/reconcile/object-owners.ts.
 *
 *   <prefix>:state:owners:<tenant id>    hash: object id → target name
 */
export function objectOwnersKey(keys: StateKeys, tenantId: string): string {
  return `${keys.prefix}:state:owners:${encodeURIComponent(tenantId.toLowerCase())}`;
}

/** Object id (lower case) → owning target, for one tenant. */
export async function readObjectOwners(redis: RedisClient, keys: StateKeys, tenantId: string): Promise<Map<string, string>> {
  return new Map(Object.entries(await redis.hgetall(objectOwnersKey(keys, tenantId))));
}

// KEYS[1] lock, KEYS[2] owners; ARGV[1] token, ARGV[2] target, ARGV[3] n takeover ids, then takeover ids, then ids to claim.
// Returns -1 when the lock is lost, {id, owner} for the first id owned by another target (nothing set), else 1.
const CLAIM = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[3])
local takeover = {}
for i = 4, 3 + n do takeover[ARGV[i]] = true end
for i = 4 + n, #ARGV do
  local cur = redis.call('HGET', KEYS[2], ARGV[i])
  if cur and cur ~= ARGV[2] and not takeover[ARGV[i]] then return {ARGV[i], cur} end
end
for i = 4 + n, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[2]) end
return 1`;

// KEYS[1] lock, KEYS[2] owners; ARGV[1] token, ARGV[2] target, then ids: forget those this target owns.
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[2] then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return 1`;

/**
 * Record `ids` as the lock holder's target's, atomically: when one of them is recorded as another
 * target's (and is not in `takeover`), nothing is recorded and that id and owner are returned.
 */
export async function claimObjects(
  redis: RedisClient,
  keys: StateKeys,
  lock: TargetLock,
  tenantId: string,
  ids: readonly string[],
  takeover: readonly string[] = [],
): Promise<{ id: string; owner: string } | undefined> {
  if (ids.length === 0) return undefined;
  const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
  const r = (await redis.eval(CLAIM, 2, keys.lock(lock.target), objectOwnersKey(keys, tenantId), String(lock.token), lock.target, String(takeover.length), ...lower(takeover), ...lower(ids))) as
    | number
    | [string, string];
  if (r === -1) throw new LockLostError(lock.target, lock.token);
  return Array.isArray(r) ? { id: r[0], owner: r[1] } : undefined;
}

/** Forget `ids` (deleted objects) where the lock holder's target is their recorded owner. */
export async function releaseObjects(redis: RedisClient, keys: StateKeys, lock: TargetLock, tenantId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const r = await redis.eval(RELEASE, 2, keys.lock(lock.target), objectOwnersKey(keys, tenantId), String(lock.token), lock.target, ...ids.map((x) => x.toLowerCase()));
  if (r === -1) throw new LockLostError(lock.target, lock.token);
}
