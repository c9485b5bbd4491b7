/**
 * Walking keys by pattern without blocking Redis (SCAN, never KEYS), and deleting every key under a
 * prefix (UNLINK, freed in the background). Used by the demo to start empty, by the benchmarks to
 * clean up after themselves, and by the tests' per-test prefixes.
 */
import type { Redis } from 'ioredis';

/** Batches of keys matching `pattern` (Redis glob syntax). */
export async function* scanKeys(redis: Redis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    if (found.length > 0) yield found;
  } while (cursor !== '0');
}

/** Delete every key whose name starts with `prefix`; returns how many were deleted. */
export async function deleteKeysByPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of scanKeys(redis, `${prefix}*`)) deleted += await redis.unlink(...keys);
  return deleted;
}
