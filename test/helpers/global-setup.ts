/**
 * vitest global setup: provide a real Redis to every test.
 *   1. REDIS_URL when set;
 *   2. else a testcontainers Redis when a container runtime works;
 *   3. else fail the whole run with a message that says how to start Redis.
 * Integration tests never skip silently.
 */
import type { TestProject } from 'vitest/node';
import { Redis } from 'ioredis';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let stopContainer: (() => Promise<unknown>) | undefined;

async function ping(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 3000 });
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env['REDIS_URL'];
  if (!url) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7-alpine').start();
      url = container.getConnectionUrl();
      stopContainer = () => container.stop();
    } catch (e) {
      throw new Error(
        `No Redis for the tests: REDIS_URL is not set and testcontainers could not start one (${(e as Error).message}).\n` +
          'Start a local Redis and point the tests at it, e.g.:\n' +
          '  apt-get install -y redis-server && redis-server --daemonize yes --port 6379 --save "" --appendonly no\n' +
          '  REDIS_URL=redis://127.0.0.1:6379 npm test',
        { cause: e },
      );
    }
  }
  try {
    await ping(url);
  } catch (e) {
    throw new Error(`Redis at ${url} does not answer (${(e as Error).message}). Start it or fix REDIS_URL.`, { cause: e });
  }
  process.env['REDIS_URL'] = url;
  project.provide('redisUrl', url);
  return async () => {
    await stopContainer?.();
  };
}
