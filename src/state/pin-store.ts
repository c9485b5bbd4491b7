/**
 * The pin of a target (`tq-entra rollback` sets it, `tq-entra unpin` clears it): while a target is
 * pinned, every reconcile of it takes the pinned ranges as its desired set instead of the committed
 * snapshots (safety.neverBlock and ThreatQ's whitelist are still taken out), so scheduled runs do not
 * undo a rollback. One hash per target, written and deleted only by the target lock's holder (fenced
 * by its token, like the owned-ranges record):
 *
 *   <prefix>:state:pin:<target>   hash: run (the run rolled back to), at (ISO), by (who), ranges (one per line)
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { LockLostError } from './errors/lock-lost-error.ts';
import type { StateKeys } from './redis-keys.ts';
import type { TargetLock } from './target-lock.ts';

export interface Pin {
  run: string;
  at: string;
  by: string;
  ranges: string[];
}

// KEYS: lock, pin. ARGV: token, then field/value pairs (none: delete the pin).
const FENCED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[2])
if #ARGV > 1 then redis.call('HSET', KEYS[2], unpack(ARGV, 2)) end
return 1`;

async function fenced(redis: RedisClient, keys: StateKeys, lock: TargetLock, fields: string[]): Promise<void> {
  const r = await redis.eval(FENCED, 2, keys.lock(lock.target), keys.pin(lock.target), String(lock.token), ...fields);
  if (r === -1) throw new LockLostError(lock.target, lock.token);
}

export async function writePin(redis: RedisClient, keys: StateKeys, lock: TargetLock, pin: Pin): Promise<void> {
  await fenced(redis, keys, lock, ['run', pin.run, 'at', pin.at, 'by', pin.by, 'ranges', pin.ranges.join('\n')]);
}

export async function clearPin(redis: RedisClient, keys: StateKeys, lock: TargetLock): Promise<void> {
  await fenced(redis, keys, lock, []);
}

export async function readPin(redis: RedisClient, keys: StateKeys, target: string): Promise<Pin | undefined> {
  const h = await redis.hgetall(keys.pin(target));
  if (h['run'] === undefined) return undefined;
  const text = h['ranges'] ?? '';
  return { run: h['run'], at: h['at'] ?? '', by: h['by'] ?? '', ranges: text === '' ? [] : text.split('\n') };
}
