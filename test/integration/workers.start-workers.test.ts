/**
 * `startWorkers` either starts everything or leaves nothing behind: when a phase of the start fails
 * (here the health server, its port already taken) the start rejects with that error and every
 * Worker, queue and Redis connection it opened is closed again; `close` closes the same things.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkers } from '../../workers/start-workers.ts';
import { redisHealth } from '../../src/redis/redis-connection.ts';
import { configFrom, baseTarget } from '../helpers/config-fixtures.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await r?.cleanup();
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  r = undefined;
  blocker = undefined;
});

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      resolve({ server, port: address.port });
    });
  });
}

/** Connections made through src/redis/redis-connection.ts that are not closed. */
function openConnections(): number {
  return [...redisHealth.connections].filter((c) => c.status !== 'end').length;
}

describe('startWorkers', () => {
  it('a health port in use: the start rejects with the listen error and leaves no Worker or Redis connection open', async () => {
    r = testRedis('start-workers');
    const taken = await occupyPort();
    blocker = taken.server;
    const config = configFrom({
      redis: { url: r.url, prefix: r.prefix },
      targets: [baseTarget()],
      worker: { http: { host: '127.0.0.1', port: taken.port } },
    });
    const before = openConnections();
    await expect(startWorkers(config)).rejects.toMatchObject({ code: 'ERR_OPS_LISTEN' });
    // Closed connections emit 'end' on the next ticks.
    const deadline = Date.now() + 2000;
    while (openConnections() > before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(openConnections()).toBe(before);
  });

  it('a started worker closes every Worker and Redis connection it opened', async () => {
    r = testRedis('start-workers');
    const config = configFrom({ redis: { url: r.url, prefix: r.prefix }, targets: [baseTarget()] });
    const before = openConnections();
    const handle = await startWorkers(config, { http: false });
    expect(handle.workers.map((w) => w.name)).toEqual(['collect', 'ingest', 'reconcile', 'writeback', 'notify']);
    expect(openConnections()).toBeGreaterThan(before);
    await handle.close();
    const deadline = Date.now() + 2000;
    while (openConnections() > before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(openConnections()).toBe(before);
    expect(handle.workers.some((w) => w.isRunning())).toBe(false);
  });
});
