/**
 * ThreatQ transport: one got instance per configured instance, with TLS settings, proxy agents and the
 * shared retry policy (src/http/retry-policy.ts) applied around every request.
 *
 * - Base URL: the configured `url` with or without a trailing `/api` (both are normalised).
 * - TLS: `tls.verify` (rejectUnauthorized) and `tls.caFile` (PEM, trusted *in addition to* the system
 *   roots). Certificate failures are not retried: they raise ERR_THREATQ_TLS.
 * - Proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY unless `disableProxies` (see resolve-proxy.ts), via a
 *   CONNECT tunnel agent (tunnel-agent.ts). Without a proxy, keep-alive agents are used.
 * - Redirects are never followed (the token call must not be redirected; a redirect elsewhere means a
 *   wrong URL or a login page).
 * - Retries: HTTP 408/429/500/502/503/504 and network errors, with full-jitter backoff or the server's
 *   Retry-After, at most `maxAttempts` attempts and never past `deadlineMs` from the first attempt. A
 *   Retry-After longer than `maxRetryAfterMs`, or one that would cross the deadline, ends the retries at
 *   once (ERR_THREATQ_UNAVAILABLE) instead of sleeping in vain.
 * - Any other status is returned to the caller, which maps it (401 re-auth, 400/403/404 fail at once).
 * Got errors are never attached as `cause` (their `options` hold the Authorization header): a plain
 * Error with the code and message is.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Got, type Method } from 'got';
import { DEFAULT_RETRY_POLICY, isRetryableNetworkCode, isRetryableStatus, nextRetry, parseRetryAfter, type RetryPolicy, type RetryStop } from '../http/retry-policy.ts';
import { getLogger } from '../observability/logger.ts';
import { redactString } from '../observability/secrets.ts';
import { SourceAbortedError } from '../errors/source-aborted-error.ts';
import { resolveProxy, type ProxyEnv } from './resolve-proxy.ts';
import { ProxyConfigError } from './errors/proxy-config-error.ts';
import { ThreatQConfigError } from './errors/threatq-config-error.ts';
import type { ThreatQErrorContext } from './errors/threatq-error-context.ts';
import { ThreatQHttpError } from './errors/threatq-http-error.ts';
import { ThreatQTlsError } from './errors/threatq-tls-error.ts';
import { ThreatQUnavailableError } from './errors/threatq-unavailable-error.ts';
import { HttpTunnelAgent, HttpsTunnelAgent } from './tunnel-agent.ts';
import { ProxyConnectError } from './errors/proxy-connect-error.ts';

const log = getLogger('threatq');

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

export interface ThreatQTransportOptions {
  /** The configured source name, used in every error and log line. */
  instance: string;
  url: string;
  tls?: { verify?: boolean; caFile?: string | undefined } | undefined;
  disableProxies?: boolean | undefined;
  /** Environment to read proxy variables from (default process.env). */
  env?: ProxyEnv | undefined;
  retryPolicy?: Partial<RetryPolicy> | undefined;
  /** Time limit of one HTTP attempt (default 60 s). */
  requestTimeoutMs?: number | undefined;
}

export interface TransportRequest {
  method: Method;
  /** Path below the API root, e.g. `/token` or `/indicators/query/hash/abc`. */
  path: string;
  searchParams?: Record<string, string | number> | undefined;
  headers?: Record<string, string> | undefined;
  json?: unknown;
  form?: Record<string, string> | undefined;
  ctx: ThreatQErrorContext;
  signal?: AbortSignal | undefined;
}

/** A failed attempt that the policy may retry: what happened, for logs and the final error. */
interface RetryableFailure {
  why: string;
  status: number | undefined;
  retryAfterMs: number | undefined;
  cause?: Error;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** `https://tq.example.com/api/` → `https://tq.example.com/api`. */
export function normaliseApiRoot(instance: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ThreatQConfigError(instance, `url "${url}" is not an absolute URL (expected e.g. https://threatq.example.com)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ThreatQConfigError(instance, `url "${url}" must use https:// (or http:// for a local emulator)`);
  }
  parsed.search = '';
  parsed.hash = '';
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/api$/i, '');
  return `${parsed.origin}${path}/api`;
}

function plainCause(e: unknown): Error {
  const err = e as { code?: unknown; message?: unknown };
  const out = new Error(redactString(String(err.message ?? e))) as Error & { code?: unknown };
  if (err.code !== undefined) out.code = err.code;
  return out;
}

export class ThreatQTransport {
  readonly apiRoot: string;
  readonly instance: string;
  readonly policy: RetryPolicy;
  private readonly got: Got;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(options: ThreatQTransportOptions) {
    this.instance = options.instance;
    this.apiRoot = normaliseApiRoot(options.instance, options.url);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    let ca: string[] | undefined;
    if (options.tls?.caFile !== undefined) {
      try {
        ca = [...rootCertificates, readFileSync(options.tls.caFile, 'utf8')];
      } catch (e) {
        throw new ThreatQConfigError(options.instance, `tls.caFile ${options.tls.caFile} cannot be read (${(e as Error).message})`, { cause: e });
      }
    }
    let proxy: URL | undefined;
    try {
      proxy = resolveProxy(new URL(this.apiRoot), options.env ?? process.env, options.disableProxies ?? false);
    } catch (e) {
      if (e instanceof ProxyConfigError) throw new ThreatQConfigError(options.instance, e.message, { cause: e });
      throw e;
    }
    this.agents = proxy
      ? { http: new HttpTunnelAgent(proxy), https: new HttpsTunnelAgent(proxy) }
      : { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    if (proxy) log.debug('using proxy', { instance: this.instance, proxy: proxy.host });
    this.got = got.extend({
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: { request: options.requestTimeoutMs ?? 60_000 },
      responseType: 'text',
      agent: this.agents,
      https: { rejectUnauthorized: options.tls?.verify ?? true, ...(ca ? { certificateAuthority: ca } : {}) },
      headers: { 'user-agent': 'threatq-entra-sync' },
    });
  }

  /** Send with retries; returns any non-retryable response. */
  async send(req: TransportRequest): Promise<TransportResponse> {
    const started = Date.now();
    const ctx: ThreatQErrorContext = { ...req.ctx, request: `${req.method} /api${req.path}` };
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw this.aborted(ctx, req.signal);
      const outcome = await this.attempt(req, ctx, attempt);
      if ('response' in outcome) return outcome.response;
      const { why, retryAfterMs, cause } = outcome;
      const next = nextRetry(attempt, retryAfterMs, Date.now() - started, this.policy);
      if ('stop' in next) {
        throw new ThreatQUnavailableError({ ...ctx, status: outcome.status }, attempt, this.stopMessage(why, next.stop, retryAfterMs), { cause });
      }
      log.warn('ThreatQ request failed, retrying', { instance: this.instance, collection: ctx.collection, request: ctx.request, why, attempt, delayMs: next.waitMs });
      try {
        await sleep(next.waitMs, undefined, { signal: req.signal });
      } catch {
        throw this.aborted(ctx, req.signal);
      }
    }
  }

  /**
   * One HTTP attempt: the response when its status is not retryable, else what went wrong (HTTP status
   * and Retry-After, or a retryable network error). Throws what must not be retried: TLS failures,
   * a proxy that refused the tunnel, other network errors, an abort.
   */
  private async attempt(req: TransportRequest, ctx: ThreatQErrorContext, attempt: number): Promise<{ response: TransportResponse } | RetryableFailure> {
    try {
      const res = await this.got(`${this.apiRoot}${req.path}`, {
        method: req.method,
        headers: req.headers,
        ...(req.searchParams ? { searchParams: req.searchParams } : {}),
        ...(req.json !== undefined ? { json: req.json } : {}),
        ...(req.form ? { form: req.form } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      if (!isRetryableStatus(res.statusCode)) return { response: { status: res.statusCode, headers: res.headers, body: res.body } };
      return { why: `HTTP ${res.statusCode}`, status: res.statusCode, retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
    } catch (e) {
      if (req.signal?.aborted) throw this.aborted(ctx, req.signal);
      const code = String((e as { code?: unknown }).code ?? '');
      const cause = plainCause(e);
      if (TLS_CODES.has(code)) throw new ThreatQTlsError(ctx, code, { cause });
      const inner = (e as { cause?: unknown }).cause;
      if (inner instanceof ProxyConnectError) {
        if (inner.proxyStatus === undefined || !isRetryableStatus(inner.proxyStatus)) {
          throw new ThreatQHttpError({ ...ctx, status: inner.proxyStatus }, inner.message, 'Check HTTPS_PROXY / HTTP_PROXY, the proxy credentials and NO_PROXY (or set disableProxies).', { cause });
        }
      } else if (!isRetryableNetworkCode(code)) {
        throw new ThreatQUnavailableError(ctx, attempt, `network error ${code || cause.message}`, { cause });
      }
      return { why: `network error ${code}`, status: undefined, retryAfterMs: undefined, cause };
    }
  }

  /** The message of ERR_THREATQ_UNAVAILABLE when the retries stop. */
  private stopMessage(why: string, stop: RetryStop, retryAfterMs: number | undefined): string {
    switch (stop) {
      case 'attempts':
        return `${why}, retry attempts exhausted`;
      case 'retry-after':
        return `${why} with Retry-After ${Math.round((retryAfterMs ?? 0) / 1000)}s, longer than the ${Math.round(this.policy.maxRetryAfterMs / 1000)}s allowed`;
      case 'deadline':
        return `${why}, retry deadline of ${Math.round(this.policy.deadlineMs / 1000)}s reached`;
      default: {
        const never: never = stop;
        return never;
      }
    }
  }

  private aborted(ctx: ThreatQErrorContext, signal: AbortSignal | undefined): SourceAbortedError {
    return new SourceAbortedError(this.instance, ctx.collection ?? '(none)', { cause: signal?.reason });
  }

  /** Release pooled sockets. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
