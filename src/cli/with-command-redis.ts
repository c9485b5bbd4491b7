/**
 * withCommandRedis: the one connect / queues / disconnect pattern of the CLI commands that talk to
 * Redis directly (disable, enable, rollback, unpin, history, why). Connects with
 * `createRedisConnection(config.redis, { lazyConnect: true })`; with `{ queues: true }` creates the
 * queues once connected (e.g. to queue a notification); runs `fn`; always closes the queues and the
 * connection, whether `fn` succeeded or threw.
 */
import type { Config } from '../config/schema.ts';
import { createQueues, jobRetentionOf, type Queues } from '../pipeline/queues.ts';
import { createRedisConnection, type RedisClient } from '../redis/redis-connection.ts';

export async function withCommandRedis<T>(config: Config, fn: (c: { redis: RedisClient; queues: Queues | undefined }) => Promise<T>, options: { queues?: boolean } = {}): Promise<T> {
  const redis = createRedisConnection(config.redis, { lazyConnect: true });
  let queues: Queues | undefined;
  try {
    await redis.connect();
    if (options.queues) queues = createQueues(redis, config.redis.prefix, jobRetentionOf(config));
    return await fn({ redis, queues });
  } finally {
    await queues?.close();
    redis.disconnect();
  }
}
