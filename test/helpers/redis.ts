/**
 * Per-test Redis access: a unique key prefix per test and a cleanup that deletes every key under it.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { deleteKeysByPrefix } from '../../src/redis/redis-scan.ts';

export interface TestRedis {
  url: string;
  prefix: string;
  client: Redis;
  cleanup: () => Promise<void>;
}

export function redisUrl(): string {
  return inject('redisUrl');
}

export const deleteByPrefix = deleteKeysByPrefix;

/** `url` defaults to the suite's Redis (a chaos test passes its own redis-server). */
export function testRedis(label = 'test', url: string = redisUrl()): TestRedis {
  const prefix = `tqe-test:${label}:${randomUUID().slice(0, 8)}`;
  const client = new Redis(url, { maxRetriesPerRequest: null });
  return {
    url,
    prefix,
    client,
    cleanup: async () => {
      await deleteByPrefix(client, prefix);
      client.disconnect();
    },
  };
}
