/**
 * The one place where Graph requests are sent, paced and retried.
 *
 * Endpoint: `{graphBaseUrl}/v1.0{path}` (or a verbatim `@odata.nextLink`). Headers: bearer token from
 * the credential, `Prefer: include-unknown-enum-members` (so `linux` and other evolvable enum members
 * are accepted and echoed), a fresh `client-request-id`. Every request first takes a tenant-wide slot
 * from the Redis pacer (graph-pacer.ts).
 *
 * Retries (policy data from src/http/retry-policy.ts):
 * - 429: wait `Retry-After` when present, else exponential backoff with full jitter; the wait is
 *   recorded in Redis as a tenant-wide block so every process holds off. With `onThrottle: 'throw'`
 *   the 429 (or a block recorded by another process) surfaces at once as GraphThrottledError.
 * - 408/500/502/503/504 and network errors (reset, timeout, refused): same backoff, not tenant-wide.
 * - GET, PATCH and DELETE are retried as such, and a read-only POST (`readOnly`: the What If evaluation). A POST is retried only after its `recover` callback
 *   (lookups by name spread over the replication window, `lookupAfterAmbiguousCreate`) shows it did
 *   not happen; if it did, the found object is the result. A POST answered 429 is simply sent again.
 * - 400 whose message is `1040: NamedLocation with id … does not exist` (replication delay) is retried
 *   with its own, bounded backoff (GraphNotReplicatedError when it never clears).
 * - Any other 400/401/403/404/4xx fails at once with a typed error (graph-response.ts).
 * The token never appears in errors or logs; it is registered as a secret on first use.
 * TLS: with a CA bundle (`tls.caFile`: the system roots plus the file), every requester of the process
 * shares one secure context per bundle (building one parses every root certificate, tens of ms of CPU:
 * per connection, with dozens of tenants reconciling at once, that was most of a worker's CPU).
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { setTimeout as sleepMs } from 'node:timers/promises';
import got, { RequestError } from 'got';
import type { Logger } from 'winston';
import { isRetryableNetworkCode, isRetryableStatus, nextRetry, parseRetryAfter, type RetryPolicy } from '../http/retry-policy.ts';
import { registerSecret } from '../observability/secrets.ts';
import { GraphNotReplicatedError } from './errors/graph-not-replicated-error.ts';
import { GraphResponseError } from './errors/graph-response-error.ts';
import { GraphThrottledError } from './errors/graph-throttled-error.ts';
import { GraphUnavailableError } from './errors/graph-unavailable-error.ts';
import type { GraphErrorInfo } from './errors/graph-http-error.ts';
import type { GraphRequestStats } from './graph-types.ts';
import type { GraphPacer } from './graph-pacer.ts';
import { errorForStatus, isReplicationDelay, parseGraphErrorBody } from './graph-response.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphRequestOptions {
  body?: unknown;
  /** POST only: called before a retry; a non-undefined result means the POST did happen (it becomes the result). */
  recover?: () => Promise<unknown>;
  /**
   * A POST that changes nothing (the What If evaluation): counted as a read, never as a write, and
   * retried like a GET.
   */
  readOnly?: boolean;
}

export interface GraphResult {
  status: number;
  body: unknown;
  /** Set when a POST's `recover` found the object after an ambiguous failure. */
  recovered?: unknown;
}

export interface GraphRequesterDeps {
  graphBaseUrl: string;
  getToken: () => Promise<string>;
  pacer: GraphPacer;
  onThrottle: 'wait' | 'throw';
  retryPolicy: RetryPolicy;
  /** Backoff for the 1040 replication case; `maxAttempts` and `deadlineMs` bound it. */
  replicationPolicy: RetryPolicy;
  ca: string[] | undefined;
  verifyTls: boolean;
  timeoutMs: number;
  stats: GraphRequestStats;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** After an ambiguous create failure: lookups by name before the POST is sent again (default 4 over 30 s). */
  createLookup?: { reads: number; spanMs: number };
}

/** Default lookups after an ambiguous create: 4 reads spread over 30 s (replication takes seconds). */
export const DEFAULT_CREATE_LOOKUP = Object.freeze({ reads: 4, spanMs: 30_000 });

/**
 * One attempt's outcome: a response (any status; `sentAt`: when its bytes started going out on the
 * socket, process clock), or a network error (reset, timeout, refused …).
 */
type SendOutcome = { kind: 'response'; status: number; text: string; retryAfter: string | undefined; sentAt: number } | { kind: 'network'; code: string | undefined; message: string };

/** One secure context per CA bundle for the whole process. */
const secureContexts = new Map<string, SecureContext>();

function secureContextFor(ca: readonly string[]): SecureContext {
  const key = ca.join('\n');
  let context = secureContexts.get(key);
  if (!context) secureContexts.set(key, (context = createSecureContext({ ca: [...ca] })));
  return context;
}

export function emptyStats(): GraphRequestStats {
  return { reads: 0, writes: 0, byMethodStatus: {}, throttled: 0, throttledMs: 0 };
}

export class GraphRequester {
  private readonly base: string;
  private readonly sleep: (ms: number) => Promise<void>;
  /**
   * One keep-alive agent per client: connections (and their TLS set-up, which with a CA bundle costs
   * milliseconds of CPU each) are reused across the paced requests instead of made per request.
   */
  private readonly agent: HttpsAgent;

  constructor(private readonly deps: GraphRequesterDeps) {
    this.base = `${deps.graphBaseUrl.replace(/\/+$/, '')}/v1.0`;
    this.sleep = deps.sleep ?? ((ms) => sleepMs(ms));
    this.agent = new HttpsAgent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: deps.verifyTls, ...(deps.ca ? { secureContext: secureContextFor(deps.ca) } : {}) });
  }

  /**
   * After an ambiguous create failure (timeout, 5xx, reset): call `find` up to `createLookup.reads`
   * times spread over `createLookup.spanMs`, returning the first object found; undefined when every
   * read missed (then, and only then, the POST is sent again). A create that has not replicated yet is
   * invisible to the first reads, so one lookup is not enough to rule it out.
   */
  async lookupAfterAmbiguousCreate<T>(find: () => Promise<T | undefined>): Promise<T | undefined> {
    const { reads, spanMs } = this.deps.createLookup ?? DEFAULT_CREATE_LOOKUP;
    const gap = reads > 1 ? Math.ceil(spanMs / (reads - 1)) : 0;
    for (let i = 0; i < reads; i++) {
      if (i > 0) await this.sleep(gap);
      const found = await find();
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Path shown in errors and logs: below the base URL, query kept. */
  private displayPath(pathOrUrl: string): string {
    return pathOrUrl.startsWith(this.base) ? pathOrUrl.slice(this.base.length) : pathOrUrl.replace(/^https?:\/\/[^/]+/, '');
  }

  async request(method: HttpMethod, pathOrUrl: string, options: GraphRequestOptions = {}): Promise<GraphResult> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const path = this.displayPath(pathOrUrl);
    const started = Date.now();
    let replicationWaits = 0;
    for (let attempt = 1; ; attempt++) {
      // The token first: a token fetch between slot and send would let requests bunch up at Graph.
      const token = await this.deps.getToken();
      await this.pace(method, path);
      const outcome = await this.send(method, url, token, options.body);
      this.count(method, outcome, options.readOnly === true);
      // A request that left late (TLS handshake, busy event loop) pushes the tenant's next slot.
      if (outcome.kind === 'response') await this.deps.pacer.markSent(Date.now() - outcome.sentAt);
      if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
        // Any success resets the tenant's shared streak (one small Redis call; the 429s may have been another process's).
        await this.deps.pacer.resetThrottleStreak();
        return { status: outcome.status, body: parseBody(method, path, outcome.text) };
      }
      const errBody = outcome.kind === 'response' ? parseGraphErrorBody(outcome.text) : {};
      const info: GraphErrorInfo = { status: outcome.kind === 'response' ? outcome.status : 0, method, path, attempts: attempt, ...errBody };
      const elapsed = Date.now() - started;
      if (outcome.kind === 'response' && outcome.status === 400 && isReplicationDelay(errBody)) {
        await this.waitForReplication(info, ++replicationWaits, elapsed);
        continue;
      }
      await this.retryOrThrow(outcome, info, attempt, elapsed, options);
      // A 429 is not ambiguous: Graph refused the request before doing anything, so no lookup is due.
      const throttled = outcome.kind === 'response' && outcome.status === 429;
      if (method === 'POST' && options.recover && !throttled) {
        const found = await options.recover();
        if (found !== undefined) {
          this.deps.logger.info('POST had succeeded before its response was lost; using the existing object', { path });
          return { status: 201, body: undefined, recovered: found };
        }
      }
    }
  }

  private count(method: HttpMethod, outcome: SendOutcome, readOnly: boolean): void {
    const key = `${method} ${outcome.kind === 'network' ? 'ERR' : outcome.status}`;
    this.deps.stats.byMethodStatus[key] = (this.deps.stats.byMethodStatus[key] ?? 0) + 1;
    if (method === 'GET' || readOnly) this.deps.stats.reads++;
    else this.deps.stats.writes++;
  }

  /** 400 `1040` (a named location not replicated yet): the `n`th wait of its own bounded backoff. */
  private async waitForReplication(info: GraphErrorInfo, n: number, elapsed: number): Promise<void> {
    const policy = this.deps.replicationPolicy;
    const delay = equalJitterDelay(n, policy);
    if (n >= policy.maxAttempts || elapsed + delay > policy.deadlineMs) throw new GraphNotReplicatedError(info, elapsed);
    this.deps.logger.warn('named location not replicated yet; retrying', { method: info.method, path: info.path, attempt: info.attempts, delayMs: delay });
    await this.sleep(delay);
  }

  /**
   * Any other failed attempt: throw its typed error, or wait before the next attempt (retry-policy.ts
   * nextRetry). A 429 records the tenant-wide pause in Redis instead of sleeping here: the next pace()
   * waits it out.
   */
  private async retryOrThrow(outcome: SendOutcome, info: GraphErrorInfo, attempt: number, elapsed: number, options: GraphRequestOptions): Promise<void> {
    const networkCode = outcome.kind === 'network' ? outcome.code : undefined;
    const retryable = outcome.kind === 'network' ? isRetryableNetworkCode(outcome.code) : isRetryableStatus(outcome.status);
    if (!retryable) {
      if (outcome.kind === 'network') throw new GraphUnavailableError({ ...info, graphMessage: outcome.message }, outcome.code);
      throw errorForStatus(info);
    }
    const retryAfterMs = outcome.kind === 'response' ? parseRetryAfter(outcome.retryAfter) : undefined;
    const next = nextRetry(attempt, retryAfterMs, elapsed, this.deps.retryPolicy);
    // A POST without a way to check whether it happened is never retried.
    const unrecoverablePost = info.method === 'POST' && !options.recover && options.readOnly !== true;
    const { method, path } = info;
    if (outcome.kind === 'response' && outcome.status === 429) {
      this.deps.stats.throttled++;
      // The pause comes from the tenant's 429 streak, shared by every process in Redis: at least 1 s,
      // doubling per 429 in a row to about a minute, with jitter; Retry-After, when Graph sends one,
      // is a floor. The tenant-wide block makes every process hold off for it.
      const { pauseMs, streak } = await this.deps.pacer.recordThrottle(retryAfterMs);
      this.deps.logger.warn('Graph throttled the tenant (429); tenant-wide pause recorded', { method, path, attempt, waitMs: pauseMs, streak });
      if (this.deps.onThrottle === 'throw' || 'stop' in next || unrecoverablePost) throw new GraphThrottledError(info, pauseMs);
      return;
    }
    if ('stop' in next || unrecoverablePost) throw new GraphUnavailableError(info, networkCode);
    this.deps.logger.warn('Graph request failed; retrying', { method, path, attempt, status: info.status, networkCode, delayMs: next.waitMs });
    await this.sleep(next.waitMs);
  }

  /** Wait for a tenant-wide slot; a recorded block is waited out (wait) or surfaced (throw). */
  private async pace(method: string, path: string): Promise<void> {
    for (;;) {
      const r = await this.deps.pacer.tryAcquire();
      if (r.granted) {
        if (r.waitMs > 0) await this.sleep(r.waitMs);
        return;
      }
      if (this.deps.onThrottle === 'throw') {
        throw new GraphThrottledError(
          { status: 429, method, path, graphCode: 'TooManyRequests', graphMessage: 'tenant-wide throttle pause in force' },
          r.blockedForMs,
        );
      }
      this.deps.stats.throttledMs += r.blockedForMs;
      await this.sleep(r.blockedForMs);
    }
  }

  private async send(method: HttpMethod, url: string, token: string, body: unknown): Promise<SendOutcome> {
    registerSecret(token);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      prefer: 'include-unknown-enum-members',
      'client-request-id': randomUUID(),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const t0 = Date.now();
    try {
      const res = await got(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: this.deps.timeoutMs },
        responseType: 'text',
        agent: { https: this.agent },
        // The CA bundle travels in the agent's shared secure context: a `ca` here would build a new one per connection.
        https: { rejectUnauthorized: this.deps.verifyTls },
      });
      const retryAfter = res.headers['retry-after'];
      this.deps.logger.debug('graph request', { method, path: this.displayPath(url), status: res.statusCode, ms: Date.now() - t0 });
      return { kind: 'response', status: res.statusCode, text: res.body, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, sentAt: res.timings.upload ?? t0 };
    } catch (e) {
      if (e instanceof RequestError) {
        this.deps.logger.debug('graph request network error', { method, path: this.displayPath(url), code: e.code, ms: Date.now() - t0 });
        return { kind: 'network', code: e.code, message: e.message };
      }
      throw e;
    }
  }
}

function parseBody(method: string, path: string, text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new GraphResponseError(method, path, 'body is not JSON');
  }
}

/** Backoff for replication waits: between half and all of `base * 2^(n-1)`, capped. */
export function equalJitterDelay(n: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1));
  return Math.max(policy.minDelayMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
