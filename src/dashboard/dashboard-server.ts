/**
 * The operator's dashboard: one express app on `dashboard.host:port` (default 127.0.0.1:3000) with
 *
 *   /queues    bull-board over the collect, ingest and reconcile queues (UI and its JSON API under
 *              /queues/api/…; `/` redirects here). Not read-only: operators may retry or clean jobs.
 *   /status    the status pages: every target, and /status/targets/<name> per target (policy state,
 *              named locations and capacity, last source runs, last reconcile, 429 pause; status/,
 *              read from Redis only, never from Graph). Server-rendered HTML, no script.
 *              Its "add job" and "edit job data" are refused (405): they would let a dashboard user
 *              queue data the producer never makes (a reconcile with `force: true`); workers refuse
 *              such data too (src/pipeline/job-data.ts).
 *   /kill-switch  disable or enable a target's policy, with confirmation (kill-switch-page.ts)
 *   /metrics   Prometheus text: the cluster-wide service metrics from Redis plus BullMQ's queue
 *              metrics (metrics-export.ts). 503 with the reason when Redis cannot be read in 5 s.
 *   /healthz   the process is alive: always 200 {"status":"ok"}
 *   /readyz    200 when Redis answers PING within 1 s, else 503 {"status":"unavailable","reason":…}
 *
 * Basic auth (dashboard.username/password) guards everything except /healthz and /readyz whenever
 * credentials are configured, on loopback too; binding anywhere but loopback without them is
 * refused (the config schema checks the configured host; this re-checks a host given on the command
 * line). Credentials are compared in constant time (basic-auth.ts) and never logged.
 *
 * One Redis connection (fail fast: one retry per command; made by src/redis/redis-connection.ts, which
 * logs one line per outage) serves the queues, the metric reads and the probe. While Redis is
 * unreachable the board's JSON API (/queues/api/…) and /metrics answer 503 at once (BullMQ would
 * otherwise wait for the connection to come back); otherwise they first need a PING answered within
 * 1 s.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Config } from '../config/schema.ts';
import { UsageError, coerceError } from '../errors/sync-error.ts';
import { createQueues, jobRetentionOf, type Queues } from '../pipeline/queues.ts';
import { WWW_AUTHENTICATE, basicAuthMatches, type BasicCredentials } from './basic-auth.ts';
import { closeHttp, listenHttp, listenText } from '../http/http-listen.ts';
import { getLogger, type Logger } from '../observability/logger.ts';
import { renderServiceMetrics } from './metrics-export.ts';
import { KILL_SWITCH_PATH, killSwitchRouter } from './kill-switch-page.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../observability/prom-text.ts';
import { checkRedisReady } from '../observability/redis-readiness.ts';
import { createRedisConnection, displayRedisEndpoint, type RedisClient } from '../redis/redis-connection.ts';
import { redactString } from '../observability/secrets.ts';
import { stateKeys } from '../state/redis-keys.ts';
import { statusRouter } from './status/status-routes.ts';

export const DASHBOARD_BASE_PATH = '/queues';
export const METRICS_TIMEOUT_MS = 5000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** ioredis states of a connection that was lost (BullMQ calls would wait for it to come back). */
const LOST = new Set(['reconnecting', 'close', 'end']);

export interface DashboardOptions {
  /** Overrides dashboard.port (0 picks a free port). */
  port?: number;
  /** Overrides dashboard.host. */
  host?: string;
}

export interface DashboardHandle {
  /** Base URL, e.g. http://127.0.0.1:3000 (the board is at `${url}/queues`). */
  url: string;
  /** Where it listens, as bound: e.g. `http://0.0.0.0:3000 (all interfaces)` (for banners and logs). */
  listening: string;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** The credentials to enforce, or undefined for none; refuses unsafe or half-configured setups. */
export function dashboardCredentials(config: Config, host: string): BasicCredentials | undefined {
  const { username, password } = config.dashboard;
  if ((username === undefined) !== (password === undefined)) {
    throw new UsageError('dashboard.username and dashboard.password must be set together (basic auth needs both)');
  }
  if (username !== undefined && password !== undefined) return { username, password };
  if (!isLoopbackHost(host)) {
    throw new UsageError(`refusing to serve the dashboard on ${host} without basic auth: set dashboard.username and dashboard.password, or bind 127.0.0.1`);
  }
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The Redis side of the dashboard: one fail-fast connection and the three queues on it. */
interface DashboardBackend {
  config: Config;
  redis: RedisClient;
  prefix: string;
  queues: Queues;
  all: Queue[];
  /** Undefined when Redis can serve a request now, else why not (no URL credentials). */
  unavailable(): Promise<string | undefined>;
  close(): Promise<void>;
}

function openBackend(config: Config): DashboardBackend {
  const prefix = config.redis.prefix;
  const redis = createRedisConnection(config.redis, { maxRetriesPerRequest: 1 });
  const queues = createQueues(redis, prefix, jobRetentionOf(config));
  return {
    config,
    redis,
    prefix,
    queues,
    all: [queues.collect, queues.ingest, queues.reconcile, queues.writeBack, queues.notify],
    async unavailable() {
      // Lost (not merely still connecting at start-up): answer at once; otherwise a PING within 1 s.
      if (LOST.has(redis.status)) return `Redis at ${displayRedisEndpoint(config.redis)} is unreachable (connection ${redis.status})`;
      const r = await checkRedisReady(redis);
      return r.ok ? undefined : r.reason;
    },
    async close() {
      await queues.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** bull-board's UI and JSON API over the queues, to mount at DASHBOARD_BASE_PATH. */
function boardRouter(all: Queue[]): express.Router {
  const board = new ExpressAdapter();
  board.setBasePath(DASHBOARD_BASE_PATH);
  createBullBoard({
    queues: all.map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'tq-entra', miscLinks: [{ text: 'Prometheus metrics', url: '/metrics' }] } },
  });
  return board.getRouter() as express.Router;
}

/**
 * bull-board routes that make job data (POST …/add) or rewrite it (PATCH …/update-data): refused.
 * Matched on the decoded path, case-insensitively and with an optional trailing slash, as express
 * routes them.
 */
function refuseJobDataEdits(req: Request, res: Response, next: NextFunction): void {
  let path: string;
  try {
    path = decodeURIComponent(req.path).toLowerCase().replace(/\/+$/, '');
  } catch {
    path = req.path.toLowerCase();
  }
  const add = req.method === 'POST' && path.startsWith('/api/') && path.endsWith('/add');
  const edit = req.method === 'PATCH' && path.startsWith('/api/') && path.endsWith('/update-data');
  if (!add && !edit) return next();
  res.status(405).json({ error: 'adding jobs and editing job data from the dashboard are disabled: the service makes its jobs (tq-entra sync); retry a failed job instead' });
}

/** /healthz and /readyz: registered before basic auth, so they answer without credentials. */
function addProbes(app: express.Express, backend: DashboardBackend): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await checkRedisReady(backend.redis);
    if (r.ok) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unavailable', reason: r.reason });
  });
}

function metricsHandler(backend: DashboardBackend, log: Logger) {
  return async (_req: Request, res: Response): Promise<void> => {
    const down = await backend.unavailable();
    if (down !== undefined) {
      res.status(503).type('text/plain').send(`metrics unavailable: ${down}\n`);
      return;
    }
    try {
      const text = await withTimeout(renderServiceMetrics(backend.redis, backend.prefix, backend.all), METRICS_TIMEOUT_MS, 'reading metrics from Redis');
      res.type(PROMETHEUS_CONTENT_TYPE).send(text);
    } catch (e) {
      const reason = redactString(coerceError(e).message);
      log.warn('metrics unavailable', { reason });
      res.status(503).type('text/plain').send(`metrics unavailable: ${reason}\n`);
    }
  };
}

/** The express app: probes, then basic auth (when configured) before everything else. */
function dashboardApp(config: Config, backend: DashboardBackend, credentials: BasicCredentials | undefined, log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  addProbes(app, backend);
  if (credentials) {
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (basicAuthMatches(req.headers.authorization, credentials)) return next();
      res.set('WWW-Authenticate', WWW_AUTHENTICATE).status(401).type('text/plain').send('authentication required\n');
    });
  }
  app.get('/', (_req, res) => res.redirect(302, DASHBOARD_BASE_PATH));
  app.get('/metrics', metricsHandler(backend, log));
  app.use('/status', statusRouter({ redis: backend.redis, keys: stateKeys(backend.prefix), config: backend.config, unavailable: () => backend.unavailable(), log }));
  app.use(`${DASHBOARD_BASE_PATH}/api`, (_req: Request, res: Response, next: NextFunction) => {
    void backend.unavailable().then((reason) => {
      if (reason === undefined) next();
      else res.status(503).json({ error: 'Redis unavailable', reason });
    }, next);
  });
  app.use(KILL_SWITCH_PATH, killSwitchRouter({ config, redis: backend.redis, log, queues: backend.queues }));
  app.use(DASHBOARD_BASE_PATH, refuseJobDataEdits, boardRouter(backend.all));
  return app;
}

export async function startDashboard(config: Config, options: DashboardOptions = {}): Promise<DashboardHandle> {
  const log = getLogger('dashboard');
  const host = options.host ?? config.dashboard.host;
  const port = options.port ?? config.dashboard.port;
  const credentials = dashboardCredentials(config, host);

  const backend = openBackend(config);
  let server: Server;
  let url: string;
  try {
    server = createServer(dashboardApp(config, backend, credentials, log));
    url = await listenHttp(server, host, port);
  } catch (e) {
    await backend.close();
    throw e;
  }
  // The bound address as it is (0.0.0.0 is all interfaces, not loopback); `url` stays an address this
  // host can open.
  const listening = listenText(host, (server.address() as AddressInfo).port);
  log.info('dashboard listening', { listening, url: `${url}${DASHBOARD_BASE_PATH}`, auth: credentials !== undefined });
  let closing: Promise<void> | undefined;
  return {
    url,
    listening,
    close() {
      closing ??= (async () => {
        await closeHttp(server);
        await backend.close();
      })();
      return closing;
    },
  };
}
