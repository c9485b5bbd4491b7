/**
 * A worker replica's probe and scrape endpoint, on `worker.http.host:port` (default 127.0.0.1:9464;
 * in containers set host 0.0.0.0):
 *
 *   /metrics   the process's prom-client registry (worker-metrics.ts): process, Node.js, jobs
 *   /healthz   the process is alive: always 200 {"status":"ok"}
 *   /readyz    200 when Redis answers PING within 1 s and the optional `ready` check passes, else 503
 *              {"status":"unavailable","reason":…} (e.g. "shutting down" while draining on SIGTERM)
 *
 * No authentication: it serves no job data, only counters, and binds loopback unless configured
 * otherwise (a Kubernetes pod or compose network). Plain node:http, GET and HEAD only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Cluster, Redis } from 'ioredis';

/** One Redis or a Redis Cluster (the connections src/redis/redis-connection.ts makes). */
type RedisClient = Redis | Cluster;
import type { Registry } from 'prom-client';
import { coerceError } from '../errors/sync-error.ts';
import { closeHttp, listenHttp } from '../http/http-listen.ts';
import { getLogger } from './logger.ts';
import { checkRedisReady } from './redis-readiness.ts';
import { redactString } from './secrets.ts';

export interface HealthServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  redis: RedisClient;
  /** Extra readiness: return a reason when not ready (e.g. while shutting down), undefined when ready. */
  ready?: () => string | undefined;
}

export interface HealthServerHandle {
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServerHandle> {
  const log = getLogger('health');
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: `method ${req.method ?? ''} not allowed` });
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz': {
        const extra = options.ready?.();
        if (extra !== undefined) return json(res, 503, { status: 'unavailable', reason: extra });
        const r = await checkRedisReady(options.redis);
        return r.ok ? json(res, 200, { status: 'ok' }) : json(res, 503, { status: 'unavailable', reason: r.reason });
      }
      case '/metrics':
        return send(res, 200, options.registry.contentType, await options.registry.metrics());
      default:
        return json(res, 404, { error: `no such endpoint ${path} (try /metrics, /healthz, /readyz)` });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const reason = redactString(coerceError(e).message);
      log.warn('health endpoint failed', { url: req.url, reason });
      if (!res.headersSent) json(res, 500, { error: reason });
      else res.end();
    });
  });
  const url = await listenHttp(server, options.host, options.port);
  log.info('health server listening', { url });
  return { url, close: () => closeHttp(server) };
}
