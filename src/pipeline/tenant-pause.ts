/**
 * The 429 pause state of one tenant as the Graph pacer keeps it in Redis (src/graph/graph-pacer.ts owns
 * the keys): how long no Graph request may start (the tenant-wide block set after a 429) and the 429s in
 * a row now. Read-only: two Redis reads, no Graph request (for the dashboard's status page).
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { createGraphPacer } from '../graph/graph-pacer.ts';

export interface TenantPause {
  /** Remaining tenant-wide block in ms (0: requests may go). */
  blockedForMs: number;
  /** 429s in a row now (0 after any success). */
  streak: number;
}

export async function readTenantPause(redis: RedisClient, prefix: string, tenantId: string): Promise<TenantPause> {
  // The pacing rate does not matter for these reads (it only spaces slots taken with tryAcquire).
  const pacer = createGraphPacer(redis, prefix, tenantId, 1);
  const [blockedForMs, streak] = await Promise.all([pacer.blockedForMs(), pacer.throttleStreak()]);
  return { blockedForMs, streak };
}
