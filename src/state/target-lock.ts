/**
 * Per-target reconcile lock with a fencing token (invariant 2: every named-location write is
 * read-modify-write under this lock).
 *
 * acquire: token = INCR fence; SET lock token NX PX ttl. The holder renews it while working
 * (`extend`) and checks `assertHeld()` before each Graph write, so a holder that lost the lock (paused
 * past its TTL, say) stops writing; state updates that must be fenced run a fenced script (owned-ranges-store.ts FENCED_UPDATE) that
 * applies only while the lock still holds this token.
 *
 * Take-over (`takeOver: true`, the kill switch only): when the lock is still busy after `waitMs`, it is
 * taken anyway: the new token (always higher: INCR) replaces the holder's, so the holder's next
 * `assertHeld()` and every fenced state update fail with LockLostError and it writes nothing more; its
 * `extend` and `release` touch only its own token. A request the holder already sent (checked, then
 * waiting in the pacer or on the wire) can still land: the kill switch is recorded before the lock
 * is taken, so the holder's retry, or the next reconcile, puts the kill switch state back.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { LockBusyError } from './errors/lock-busy-error.ts';
import { LockLostError } from './errors/lock-lost-error.ts';
import type { StateKeys } from './redis-keys.ts';


const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

export interface TargetLock {
  readonly target: string;
  readonly token: number;
  /** Throws LockLostError when the lock no longer holds this token. */
  assertHeld(): Promise<void>;
  extend(ttlMs?: number): Promise<boolean>;
  release(): Promise<void>;
  /** The token of the holder this lock was taken over from (takeOver only). */
  readonly tookOverFrom?: string;
}

const TAKE_OVER = `local prev = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return prev`;

export async function acquireTargetLock(
  redis: RedisClient,
  keys: StateKeys,
  target: string,
  options: { ttlMs?: number; waitMs?: number; pollMs?: number; takeOver?: boolean } = {},
): Promise<TargetLock> {
  const ttlMs = options.ttlMs ?? 60_000;
  const deadline = Date.now() + (options.waitMs ?? 0);
  const token = await redis.incr(keys.fence(target));
  const lockKey = keys.lock(target);
  let tookOverFrom: string | undefined;
  for (;;) {
    const ok = await redis.set(lockKey, String(token), 'PX', ttlMs, 'NX');
    if (ok === 'OK') break;
    if (Date.now() >= deadline) {
      if (!options.takeOver) throw new LockBusyError(target);
      const prev = (await redis.eval(TAKE_OVER, 1, lockKey, String(token), String(ttlMs))) as string | null;
      if (prev !== null) tookOverFrom = prev;
      break;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
  return {
    target,
    token,
    ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
    async assertHeld() {
      const v = await redis.get(lockKey);
      if (v !== String(token)) throw new LockLostError(target, token);
    },
    async extend(ms = ttlMs) {
      return (await redis.eval(EXTEND, 1, lockKey, String(token), String(ms))) === 1;
    },
    async release() {
      await redis.eval(RELEASE, 1, lockKey, String(token));
    },
  };
}
