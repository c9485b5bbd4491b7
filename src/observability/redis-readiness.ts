/**
 * Readiness probe shared by the dashboard and the worker health server: Redis is reachable when it
 * answers PING within the timeout (default 1 s). A client that queues commands while disconnected
 * (BullMQ connections: maxRetriesPerRequest null) would wait forever, hence the timer. The reason
 * names the connection status and the error, never the URL (which may hold a password).
 */
import type { Cluster, Redis } from 'ioredis';

/** One Redis or a Redis Cluster (the connections src/redis/redis-connection.ts makes). */
type RedisClient = Redis | Cluster;
import { redactString } from './secrets.ts';

export type Readiness = { ok: true } | { ok: false; reason: string };

export const READINESS_TIMEOUT_MS = 1000;

export async function checkRedisReady(redis: RedisClient, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `Redis did not answer PING within ${timeoutMs} ms (connection ${redis.status})` }),
      timeoutMs,
    );
  });
  const ping = redis.ping().then(
    (answer): Readiness => (answer === 'PONG' ? { ok: true } : { ok: false, reason: `Redis answered PING with ${JSON.stringify(answer)}` }),
    (e: unknown): Readiness => ({ ok: false, reason: redactString(`Redis is unreachable (connection ${redis.status}): ${e instanceof Error ? e.message : String(e)}`) }),
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
