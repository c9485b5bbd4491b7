/**
 * Every Redis connection of the service is made here (`createRedisConnection`), so that an outage
 * looks the same everywhere. The endpoint is one Redis (`redis.url`, a URL) or a Redis Cluster
 * (`redis.cluster`: seed nodes, optional password): then the connection is an ioredis `Cluster`,
 * which follows MOVED/ASK redirections and, on failover, retries a command until a replica has been
 * promoted (CLUSTERDOWN and closed-node retries: about 20 s, see CLUSTER_OPTIONS; no cluster ready
 * check, see createCluster: it could leave a reconnecting BullMQ Worker waiting forever). BullMQ takes a
 * Cluster as its connection (its keys are then under the hash-tagged prefix the configuration
 * enforces) and duplicates it for its blocking reads; those duplicates are tracked like any other.
 *
 * - An `error` listener is always attached (ioredis otherwise prints "[ioredis] Unhandled error
 *   event" with a stack trace on every reconnect attempt), also on the duplicates BullMQ makes for
 *   its blocking reads.
 * - Reconnects back off exponentially (200 ms doubling to 5 s) and never give up.
 * - The process logs one line per state change, not one per attempt: `Redis unreachable` (warn) when
 *   the first connection fails, `Redis reachable again` (info) when every failing connection is back.
 *   Both name the URL without its credentials (`displayRedisUrl`).
 *
 * Long-running processes (workers, dashboard, scheduler --watch) just keep retrying. One-shot
 * commands wrap their action in `boundedRedis`: when Redis has not been reachable for
 * TQ_ENTRA_REDIS_TIMEOUT (default 10 s; a duration such as "30s" or a number of milliseconds), every
 * connection is closed and the command fails with ERR_REDIS_UNAVAILABLE: one line naming the URL and
 * what to check, exit status 1.
 */
import { EventEmitter } from 'node:events';
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { SyncError } from '../errors/sync-error.ts';
import { getLogger } from '../observability/logger.ts';
import { redactString, registerSecret } from '../observability/secrets.ts';

export const REDIS_TIMEOUT_ENV = 'TQ_ENTRA_REDIS_TIMEOUT';
export const DEFAULT_REDIS_TIMEOUT_MS = 10_000;
/** Upper bound of the reconnect backoff. */
export const MAX_RECONNECT_DELAY_MS = 5000;
/** How long one TCP connect attempt may take. */
const CONNECT_TIMEOUT_MS = 5000;

/** A connection made here: one Redis, or a Redis Cluster (same commands; SCAN see redis-scan.ts). */
export type RedisClient = Redis | Cluster;

export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/** Where Redis is: a redis:// URL, or the `redis` configuration section (`url` or `cluster`). */
export type RedisEndpoint = string | RedisSettings;

export interface RedisSettings {
  readonly url?: string | undefined;
  readonly cluster?: { readonly nodes: readonly string[]; readonly password?: string | undefined } | undefined;
}

/** How a cluster survives a failover: redirections and CLUSTERDOWN are retried for about 20 s. */
const CLUSTER_OPTIONS: ClusterOptions = {
  maxRedirections: 64,
  retryDelayOnClusterDown: 300,
  retryDelayOnFailover: 300,
  retryDelayOnTryAgain: 300,
  slotsRefreshTimeout: 2000,
  scaleReads: 'master',
};

export interface RedisConnectionOptions {
  /**
   * Commands wait for a reconnection however long it takes (`null`, BullMQ workers, queues and queue
   * events need this), or fail after that many reconnect attempts.
   */
  maxRetriesPerRequest?: number | null;
  lazyConnect?: boolean;
}

/** The URL as it may be shown: no user, password or query (ioredis reads options from the query). */
export function displayRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable Redis URL)';
  }
}

/** A node of `redis.cluster.nodes` as it may be shown: host:port, never credentials. */
function displayNode(node: string): string {
  return /^rediss?:\/\//.test(node) ? displayRedisUrl(node) : node;
}

/** The endpoint as it may be shown in logs and errors (no credentials). */
export function displayRedisEndpoint(endpoint: RedisEndpoint): string {
  if (typeof endpoint === 'string') return displayRedisUrl(endpoint);
  if (endpoint.cluster) return `Redis Cluster ${endpoint.cluster.nodes.map(displayNode).join(',')}`;
  return displayRedisUrl(endpoint.url ?? '');
}

function registerUrlSecrets(url: string): void {
  try {
    const u = new URL(url);
    if (u.password) {
      registerSecret(u.password);
      registerSecret(decodeURIComponent(u.password));
    }
    for (const [k, v] of u.searchParams) if (/pass|secret|token/i.test(k)) registerSecret(v);
  } catch {
    // an unparseable URL fails at connect time; nothing to register
  }
}

/** Delay before reconnect attempt `times` (1-based): 200 ms, 400 ms, … up to MAX_RECONNECT_DELAY_MS. */
export function reconnectDelayMs(times: number): number {
  return Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(Math.max(times, 1), 10));
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const CONNECTION_ERROR_TEXT = /Connection is closed|Failed to refresh slots cache|None of startup nodes is available|CLUSTERDOWN|max retries per request|Stream isn't writeable|connect ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i;

/** True for the errors a lost or refused Redis connection produces (not for Redis command errors). */
export function isRedisConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as Error & { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return true;
  return CONNECTION_ERROR_TEXT.test(e.message);
}

function describeConnectionError(e: unknown): string {
  if (!(e instanceof Error)) return redactString(String(e));
  return redactString(e.message.split('\n')[0] ?? e.message);
}

export type RedisState = 'connecting' | 'up' | 'down';

/**
 * The process's view of Redis, over every connection made here. `state` is 'up' once a connection
 * was ready and none has failed since; 'down' from the first failure until every failing connection
 * is ready again. `notUpSince` is when it last stopped being 'up' (or when the first connection was
 * made). Events: 'state' (state), 'created'.
 */
class RedisHealth extends EventEmitter {
  state: RedisState = 'connecting';
  notUpSince = Date.now();
  lastError: string | undefined;
  url: string | undefined;
  /** One-shot commands report their failure themselves: no log line for a first connect that fails. */
  quietUntilUp = false;
  private everUp = false;
  readonly connections = new Set<RedisClient>();
  private readonly failing = new Set<RedisClient>();
  private readonly log = getLogger('redis');

  track(client: RedisClient, shown: string): void {
    this.connections.add(client);
    this.url ??= shown;
    if (this.connections.size === 1 && this.state !== 'up') this.notUpSince = Date.now();
    client.on('error', (e: unknown) => {
      this.lastError = describeConnectionError(e);
      this.url = shown;
      this.failing.add(client);
      this.set('down');
    });
    client.on('ready', () => {
      this.failing.delete(client);
      if (this.failing.size === 0) this.set('up');
    });
    client.on('end', () => {
      this.failing.delete(client);
      this.connections.delete(client);
      if (this.state !== 'down' || this.failing.size > 0) return;
      if ([...this.connections].some((c) => c.status === 'ready')) this.set('up');
      else if (this.connections.size === 0) {
        // Every failing connection was closed on purpose: no outage to report any more.
        this.state = 'connecting';
        this.notUpSince = Date.now();
        this.emit('state', this.state);
      }
    });
    this.emit('created');
  }

  private set(next: RedisState): void {
    if (next === this.state) return;
    const prev = this.state;
    this.state = next;
    if (next === 'up') {
      if (prev === 'down' && this.everUp) this.log.info('Redis reachable again', { url: this.url, downForMs: Date.now() - this.notUpSince });
      else if (prev === 'down') this.log.info('Redis reachable', { url: this.url });
      this.everUp = true;
      this.lastError = undefined;
    } else {
      if (prev === 'up') this.notUpSince = Date.now();
      if (this.everUp || !this.quietUntilUp) {
        this.log.warn('Redis unreachable; retrying with backoff until it answers', { url: this.url, error: this.lastError });
      }
    }
    this.emit('state', next);
  }

  /** Close every connection made here (their pending commands fail at once). */
  disconnectAll(): void {
    for (const c of [...this.connections]) c.disconnect();
  }
}

export const redisHealth = new RedisHealth();

function track(client: Redis, shown: string): Redis {
  redisHealth.track(client, shown);
  // BullMQ duplicates a client for its blocking reads: track those too (listener + state).
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((override?: Partial<RedisOptions>) => track(duplicate(override), shown)) as typeof client.duplicate;
  return client;
}

function trackCluster(client: Cluster, shown: string): Cluster {
  redisHealth.track(client, shown);
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((nodes?: ClusterNode[], override?: ClusterOptions) => trackCluster(duplicate(nodes, override), shown)) as typeof client.duplicate;
  return client;
}

/** A node of `redis.cluster.nodes`: "host:port" or a redis:// / rediss:// URL. */
function clusterNode(node: string): { host: string; port: number } {
  const u = new URL(/^rediss?:\/\//.test(node) ? node : `redis://${node}`);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 6379) };
}

/** Credentials and TLS of a cluster: `password`, else those of the first node written as a URL. */
function clusterAuth(settings: NonNullable<RedisSettings['cluster']>): Partial<RedisOptions> {
  const first = settings.nodes.find((n) => /^rediss?:\/\//.test(n));
  const u = first === undefined ? undefined : new URL(first);
  const password = settings.password ?? (u?.password ? decodeURIComponent(u.password) : undefined);
  const username = u?.username ? decodeURIComponent(u.username) : undefined;
  return { ...(password ? { password } : {}), ...(username ? { username } : {}), ...(u?.protocol === 'rediss:' ? { tls: {} } : {}) };
}

function createCluster(settings: NonNullable<RedisSettings['cluster']>, options: RedisConnectionOptions): Cluster {
  for (const n of settings.nodes) if (/^rediss?:\/\//.test(n)) registerUrlSecrets(n);
  if (settings.password) registerSecret(settings.password);
  const client = new Cluster(settings.nodes.map(clusterNode), {
    ...CLUSTER_OPTIONS,
    // No cluster ready check (CLUSTER INFO cluster_state:ok before 'ready'). In ioredis 6.0.0 a
    // Cluster whose ready check fails (cluster_state:fail: a failover is under way) reconnects, but
    // the promise of the `connect()` that ran the check never settles. BullMQ awaits that promise
    // when it resets a Worker's blocking connection after a failover (RedisConnection.reconnect), so
    // the Worker stopped fetching jobs for good while its client was ready again. Without the check
    // `connect()` settles once the slot map is read, and commands meeting CLUSTERDOWN in the
    // failover are retried (retryDelayOnClusterDown) like any other.
    enableReadyCheck: false,
    clusterRetryStrategy: reconnectDelayMs,
    ...(options.lazyConnect ? { lazyConnect: true } : {}),
    redisOptions: {
      maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...clusterAuth(settings),
    },
  });
  return trackCluster(client, displayRedisEndpoint({ cluster: settings }));
}

/**
 * A new Redis connection (see the file comment): to `endpoint`, a URL or the `redis` configuration
 * section (a Cluster when it has `cluster`). BullMQ connections: maxRetriesPerRequest null (the default).
 */
export function createRedisConnection(endpoint: RedisEndpoint, options: RedisConnectionOptions = {}): RedisClient {
  if (typeof endpoint !== 'string' && endpoint.cluster) return createCluster(endpoint.cluster, options);
  const url = typeof endpoint === 'string' ? endpoint : (endpoint.url ?? '');
  registerUrlSecrets(url);
  const client = new Redis(url, {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    enableReadyCheck: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelayMs,
    ...(options.lazyConnect ? { lazyConnect: true } : {}),
  });
  return track(client, displayRedisUrl(url));
}

/** TQ_ENTRA_REDIS_TIMEOUT: "10s", "2m", "500ms" or a number of milliseconds; default 10 s. */
export function redisTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[REDIS_TIMEOUT_ENV]?.trim();
  if (!text) return DEFAULT_REDIS_TIMEOUT_MS;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text);
  const n = m ? Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1) : NaN;
  if (!Number.isFinite(n) || n < 100) {
    throw new SyncError('ERR_USAGE', `${REDIS_TIMEOUT_ENV}: expected a duration such as 10s, 2m or 500ms (at least 100 ms), got "${text}"`);
  }
  return n;
}

/** The ERR_REDIS_UNAVAILABLE error of a one-shot command. */
export function redisUnavailableError(waitedMs: number, url = redisHealth.url, lastError = redisHealth.lastError): SyncError {
  const seconds = Math.round(waitedMs / 100) / 10;
  return new SyncError(
    'ERR_REDIS_UNAVAILABLE',
    `Redis at ${url ?? '(unknown URL)'} is unavailable (${lastError ? `${lastError}; ` : ''}waited ${seconds} s): check that Redis is running and reachable from this host, and the URL and password in redis.url / REDIS_URL, or the nodes in redis.cluster (${REDIS_TIMEOUT_ENV} sets how long to wait)`,
  );
}

export interface BoundedRedisOptions<A extends unknown[]> {
  /** Apply the bound only when this returns true (e.g. not for `scheduler --watch`). */
  when?: (...args: A) => boolean;
  /** Default: redisTimeoutMs(). */
  timeoutMs?: number;
}

/**
 * Wrap a one-shot command's action: if Redis stays unreachable for the timeout at any point (never
 * reached at start, or lost for that long later), every connection is closed and the action rejects
 * with ERR_REDIS_UNAVAILABLE; a connection error the action itself throws becomes the same error. A
 * process still held open by some other handle afterwards exits a few seconds later.
 */
export function boundedRedis<A extends unknown[]>(fn: (...args: A) => Promise<void>, options: BoundedRedisOptions<A> = {}): (...args: A) => Promise<void> {
  return async (...args: A) => {
    if (options.when && !options.when(...args)) return fn(...args);
    const timeoutMs = options.timeoutMs ?? redisTimeoutMs();
    const health = redisHealth;
    health.quietUntilUp = true;
    let timer: NodeJS.Timeout | undefined;
    let fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const giveUp = () => {
      const error = redisUnavailableError(Date.now() - health.notUpSince);
      health.disconnectAll();
      // Anything BullMQ still holds (retry timers) must not keep a failed command alive.
      setTimeout(() => process.exit(), 3000).unref();
      fail(error);
    };
    const arm = () => {
      if (health.state === 'up') {
        clearTimeout(timer);
        timer = undefined;
        return;
      }
      if (timer !== undefined || health.connections.size === 0) return;
      timer = setTimeout(giveUp, Math.max(0, health.notUpSince + timeoutMs - Date.now()));
    };
    health.on('state', arm);
    health.on('created', arm);
    arm();
    try {
      return await Promise.race([
        fn(...args).catch((e: unknown) => {
          if (isRedisConnectionError(e) && health.state !== 'up') throw redisUnavailableError(Date.now() - health.notUpSince);
          throw e;
        }),
        failed,
      ]);
    } finally {
      clearTimeout(timer);
      health.off('state', arm);
      health.off('created', arm);
    }
  };
}
