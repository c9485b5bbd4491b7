/**
 * Walking keys by pattern without blocking Redis (SCAN, never KEYS), and deleting every key under a
 * prefix (UNLINK, freed in the background). Used by the demo to start empty, by the benchmarks to
 * clean up after themselves, and by the tests' per-test prefixes.
 *
 * On a Redis Cluster SCAN is per node: a pattern that starts with a hash tag (`{tq-entra}:…`, as the
 * configuration requires on a cluster) is scanned on the master holding that tag's slot (asked with
 * CLUSTER KEYSLOT, found in the client's slot map); any other pattern on every master. Keys found
 * together on one master are deleted with one UNLINK only when they share a slot (hash tag), else
 * one by one.
 */
import type { Cluster, Redis } from 'ioredis';
import { isCluster, type RedisClient } from './redis-connection.ts';

async function* scanNode(node: Redis, pattern: string, count: number): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    if (found.length > 0) yield found;
  } while (cursor !== '0');
}

/** The part of a key Redis Cluster hashes when it has a hash tag (first `{`, next `}`, non-empty). */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The masters that may hold keys matching `pattern`. */
async function mastersFor(cluster: Cluster, pattern: string): Promise<Redis[]> {
  const masters = cluster.nodes('master');
  const tag = hashTag(pattern);
  // Glob characters inside the tag would match several slots.
  if (tag === undefined || /[*?[\\]/.test(tag)) return masters;
  const slot = Number(await cluster.cluster('KEYSLOT', `{${tag}}`));
  const owner = (cluster.slots[slot] ?? [])[0];
  const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
  return node ? [node] : masters;
}

/** Batches of keys matching `pattern` (Redis glob syntax). */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 1000): AsyncGenerator<string[]> {
  if (!isCluster(redis)) return yield* scanNode(redis, pattern, count);
  for (const node of await mastersFor(redis, pattern)) yield* scanNode(node, pattern, count);
}

/** Delete every key whose name starts with `prefix`; returns how many were deleted. */
export async function deleteKeysByPrefix(redis: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  const oneSlot = !isCluster(redis) || hashTag(prefix) !== undefined;
  for await (const keys of scanKeys(redis, `${prefix}*`)) {
    if (oneSlot) deleted += await redis.unlink(...keys);
    else for (const k of keys) deleted += await redis.unlink(k);
  }
  return deleted;
}
