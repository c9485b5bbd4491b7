/**
 * ThreatQ API client for one instance: token handling, data-collection paging, type/status lookups.
 *
 * Endpoints (reference threatq-api.md §1, §2, §3):
 * - POST /api/token (both grants; see threatq-token-provider.ts).
 * - GET /api/indicators/query/hash/{id}?sort=updated_at&limit=N&cursorMark=C → `{total, limit,
 *   nextCursorMark, data: [...]}`. Paging starts at `*` and stops when `data` is empty or not an array
 *   (`{}` on some versions), or `nextCursorMark` is missing or unchanged. Exposed as an async iterator
 *   that holds one page at a time, so memory does not grow with the collection.
 *   Completeness (collection-completeness.ts): a page that would stop paging while fewer indicators
 *   than the largest `total` announced have arrived (an empty or `null` page, or no next cursor) is
 *   requested again with the same cursor, at most `pageRetryPolicy.maxAttempts` times in all, with
 *   full-jitter backoff (default 4 requests, 1 s base: about 3.5 s of waiting on average). A read that
 *   still ends short by more than the tolerance (max(5, 1%) of total, at most 10%) throws
 *   ERR_THREATQ_INCOMPLETE after the last page, so the pipeline never commits a truncated collection.
 * - GET /api/indicator/types, /api/indicator/statuses → `{total, data: [{id, name, …}]}`, paged with
 *   limit/offset; read only when an indicator carries ids without names, cached per client, and read
 *   again (once per unknown id) when an id is missing from the cache (types are added at run time).
 * Permission: the API user or OAuth client must own the data collection or have it shared with it.
 * Every call sends `Authorization: Bearer <token>` (capital B, whatever `token_type` said) and
 * `Accept: application/json`. A 401 invalidates the token and the call is repeated once with a new
 * one; a second 401 is ERR_THREATQ_AUTH. 400 → ERR_THREATQ_HTTP, 403 → ERR_THREATQ_FORBIDDEN,
 * 404 → ERR_THREATQ_NOT_FOUND, all at once and naming the instance and collection; 408/429/5xx and
 * network errors are retried by the transport. A 2xx body with an `errors` key is an error (as in the
 * vendor SDK).
 */
import type { ThreatQSourceConfig } from '../config/schema.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextRetry, type RetryPolicy } from '../http/retry-policy.ts';
import { getLogger } from '../observability/logger.ts';
import { SourceAbortedError } from '../errors/source-aborted-error.ts';
import { earlyEnd, isCompleteRead, shortfallTolerance, viewPage, type PageView } from './collection-completeness.ts';
import type { ProxyEnv } from './resolve-proxy.ts';
import { serverMessage } from './server-message.ts';
import { ThreatQAuthError } from './errors/threatq-auth-error.ts';
import type { ThreatQErrorContext } from './errors/threatq-error-context.ts';
import { ThreatQForbiddenError } from './errors/threatq-forbidden-error.ts';
import { ThreatQHttpError } from './errors/threatq-http-error.ts';
import { ThreatQIncompleteError } from './errors/threatq-incomplete-error.ts';
import { ThreatQNotFoundError } from './errors/threatq-not-found-error.ts';
import { ThreatQResponseError } from './errors/threatq-response-error.ts';
import { ThreatQTokenProvider, type ThreatQAuth } from './threatq-token-provider.ts';
import { ThreatQTransport, type TransportResponse } from './threatq-transport.ts';
import type { Method } from 'got';
import type { ThreatQCollectionPage, ThreatQLookupPage, ThreatQNameMaps } from './threatq-types.ts';

export interface ThreatQClientOptions {
  /** The configured source name (sources[].name); used in errors and logs. */
  name: string;
  url: string;
  auth: ThreatQAuth;
  tls?: { verify?: boolean; caFile?: string | undefined } | undefined;
  disableProxies?: boolean | undefined;
  /** Indicators per collection page (default 500). */
  pageSize?: number | undefined;
  retryPolicy?: Partial<RetryPolicy> | undefined;
  /**
   * Re-requests of a collection page that would end the read early (empty page, no next cursor) while
   * `total` says more remain: attempts in all, backoff and deadline per page. Merged over
   * DEFAULT_PAGE_RETRY_POLICY. Each request also gets the transport's retries for 429/5xx.
   */
  pageRetryPolicy?: Partial<RetryPolicy> | undefined;
  requestTimeoutMs?: number | undefined;
  /** Environment for proxy variables (default process.env). */
  env?: ProxyEnv | undefined;
}

/** One raw page of a data collection. */
export interface ThreatQRawPage {
  /** 1-based. */
  page: number;
  /** `total` of the response when it is a number. */
  total: number | undefined;
  /** The raw indicator objects of this page (never empty). */
  data: unknown[];
  /** The cursor sent for this page (`*` for the first). */
  cursorMark: string;
  /** The cursor returned, when paging continues. */
  nextCursorMark: string | undefined;
}

const LOOKUP_PAGE = 500;

/** One read of a data collection in progress: what it asks for and what has arrived so far. */
interface CollectionRead {
  collectionId: string;
  path: string;
  signal: AbortSignal | undefined;
  fetchPage: (cursorMark: string) => Promise<ThreatQCollectionPage>;
  /** Indicators yielded so far. */
  received: number;
  /** The largest `total` announced during the read (the reference for completeness). */
  maxTotal: number | undefined;
  /** The last `total` announced (shows a shrinking total in the error). */
  lastTotal: number | undefined;
}

/**
 * Re-requests of a page that ends the read early: 4 requests in all, waits of random(0, 1 s), (0, 2 s),
 * (0, 4 s) (at least 250 ms each). Short on purpose: a truncation that outlasts it fails the run, and
 * the collect job is retried as a whole with its own backoff (src/pipeline/producer.ts).
 */
export const DEFAULT_PAGE_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 1000,
  minDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 0,
  deadlineMs: 60_000,
});

const log = getLogger('threatq');

type LookupKind = 'types' | 'statuses';

export class ThreatQClient {
  readonly name: string;
  readonly pageSize: number;
  readonly pageRetryPolicy: RetryPolicy;
  private readonly transport: ThreatQTransport;
  private readonly tokens: ThreatQTokenProvider;
  private readonly names: { types: Map<number, string> | undefined; statuses: Map<number, string> | undefined } = { types: undefined, statuses: undefined };
  private readonly refreshedFor: { types: Set<number>; statuses: Set<number> } = { types: new Set(), statuses: new Set() };

  constructor(options: ThreatQClientOptions) {
    this.name = options.name;
    this.pageSize = options.pageSize ?? 500;
    this.pageRetryPolicy = { ...DEFAULT_PAGE_RETRY_POLICY, ...options.pageRetryPolicy };
    this.transport = new ThreatQTransport({
      instance: options.name,
      url: options.url,
      tls: options.tls,
      disableProxies: options.disableProxies,
      env: options.env,
      retryPolicy: options.retryPolicy,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    this.tokens = new ThreatQTokenProvider(this.transport, options.auth);
  }

  static fromConfig(source: ThreatQSourceConfig, overrides: Partial<ThreatQClientOptions> = {}): ThreatQClient {
    return new ThreatQClient({
      name: source.name,
      url: source.url,
      auth: source.auth,
      tls: source.tls,
      disableProxies: source.disableProxies,
      pageSize: source.pageSize,
      ...overrides,
    });
  }

  /** The normalised API root, e.g. `https://tq.example.com/api`. */
  get apiRoot(): string {
    return this.transport.apiRoot;
  }

  /** Successful token requests so far. */
  get tokensIssued(): number {
    return this.tokens.issued;
  }

  /**
   * Send a request under /api with the Bearer token (the transport retries 408/429/5xx and network
   * errors); a 401 invalidates the token and the request is sent once more with a new one, a second
   * 401 is ERR_THREATQ_AUTH. Any other response is returned as it is, for the caller to map.
   */
  async send(req: { method: Method; path: string; searchParams?: Record<string, string | number>; json?: unknown; ctx: ThreatQErrorContext; signal?: AbortSignal | undefined }): Promise<TransportResponse> {
    for (let reauthenticated = false; ; reauthenticated = true) {
      const token = await this.tokens.token(req.signal);
      const res = await this.transport.send({ ...req, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
      if (res.status !== 401) return res;
      this.tokens.invalidate(token);
      if (reauthenticated) {
        const failCtx = { ...req.ctx, status: res.status, request: `${req.method} /api${req.path}` };
        throw new ThreatQAuthError(failCtx, 'the API refused a token it had just issued', 'Check that the API user or OAuth client is enabled and allowed to use the API.');
      }
    }
  }

  /** GET a JSON document under /api with the Bearer token; 401 → re-auth once. */
  async getJson(path: string, searchParams: Record<string, string | number>, ctx: ThreatQErrorContext, signal?: AbortSignal): Promise<unknown> {
    const res = await this.send({ method: 'GET', path, searchParams, ctx, signal });
    const failCtx = { ...ctx, status: res.status, request: `GET /api${path}` };
    if (res.status === 403) throw new ThreatQForbiddenError(failCtx);
    if (res.status === 404) throw new ThreatQNotFoundError(failCtx);
    if (res.status === 400) {
      throw new ThreatQHttpError(failCtx, serverMessage(res.body), ctx.collection === undefined ? 'Check the ThreatQ version supports this endpoint.' : 'Check the collection id and pageSize (1-10000).');
    }
    if (res.status < 200 || res.status >= 300) {
      throw new ThreatQHttpError(failCtx, serverMessage(res.body), 'Check the instance URL (with or without /api); redirects are not followed.');
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch (e) {
      throw new ThreatQResponseError(failCtx, 'the body is not JSON', { cause: e });
    }
    if (body === null || typeof body !== 'object') throw new ThreatQResponseError(failCtx, 'the body is not a JSON object');
    if ('errors' in body) throw new ThreatQResponseError(failCtx, `the body carries errors: ${serverMessage(res.body) ?? 'unspecified'}`);
    return body;
  }

  /**
   * Stream a data collection page by page (raw objects; filtering is the source's job). Throws
   * ERR_THREATQ_INCOMPLETE after the last page when the read fell short of `total` (see the header).
   */
  async *collectionPages(collectionId: string, options: { signal?: AbortSignal | undefined; pageSize?: number | undefined } = {}): AsyncGenerator<ThreatQRawPage> {
    const limit = options.pageSize ?? this.pageSize;
    const path = `/indicators/query/hash/${encodeURIComponent(collectionId)}`;
    const ctx = { instance: this.name, collection: collectionId };
    // One page of read-ahead: the request for page N+1 starts as soon as page N has arrived, so the
    // network wait overlaps the consumer's work on page N. At most one request is in flight and two
    // pages are held, so memory stays constant.
    const fetchPage = (cursorMark: string): Promise<ThreatQCollectionPage> => {
      const p = this.getJson(path, { sort: 'updated_at', limit, cursorMark }, ctx, options.signal) as Promise<ThreatQCollectionPage>;
      p.catch(() => undefined); // surfaced when awaited; a consumer that stops early must not leave it unhandled
      return p;
    };
    const read: CollectionRead = { collectionId, path, signal: options.signal, fetchPage, received: 0, maxTotal: undefined, lastTotal: undefined };
    let cursorMark = '*';
    let pending: Promise<ThreatQCollectionPage> = fetchPage(cursorMark);
    for (let page = 1; ; page++) {
      const view = await this.settlePage(read, await pending, page, cursorMark);
      if (view.data.length === 0) break;
      read.received += view.data.length;
      const next = view.next;
      if (next !== undefined) pending = fetchPage(next);
      yield { page, total: view.total, data: view.data, cursorMark, nextCursorMark: next };
      if (next === undefined) break;
      cursorMark = next;
    }
    if (!isCompleteRead(read.received, read.maxTotal)) {
      // Unreachable through earlyEnd (a short read stops only on a page it flags); kept as the invariant.
      throw this.incomplete(read, { received: read.received, page: 0, problem: 'the end of paging', requests: 1 });
    }
  }

  /**
   * Page `page` as the read may use it: while it would end the read early (earlyEnd), it is requested
   * again with the same cursor under `pageRetryPolicy`. When the re-requests run out, the read ends on
   * this page if what arrived is within the tolerance, else fails with ERR_THREATQ_INCOMPLETE.
   */
  private async settlePage(read: CollectionRead, body: ThreatQCollectionPage, page: number, cursorMark: string): Promise<PageView> {
    let view = viewPage(body, cursorMark);
    const started = Date.now();
    for (let request = 1; ; request++) {
      if (view.total !== undefined) {
        read.lastTotal = view.total;
        read.maxTotal = Math.max(read.maxTotal ?? 0, view.total);
      }
      const problem = earlyEnd(view, read.received, read.maxTotal);
      if (problem === undefined) return view;
      const next = nextRetry(request, undefined, Date.now() - started, this.pageRetryPolicy);
      const fields = { instance: this.name, collection: read.collectionId, page, problem, received: read.received, total: read.maxTotal };
      if ('stop' in next) {
        const received = read.received + view.data.length;
        if (!isCompleteRead(received, read.maxTotal)) throw this.incomplete(read, { received, page, problem, requests: request });
        log.warn('ThreatQ read ends short of total, within the tolerance', { ...fields, received });
        return view;
      }
      log.warn('ThreatQ page would end the read early, asking again', { ...fields, attempt: request, delayMs: next.waitMs });
      try {
        await sleep(next.waitMs, undefined, { signal: read.signal });
      } catch {
        throw new SourceAbortedError(this.name, read.collectionId, { cause: read.signal?.reason });
      }
      view = viewPage(await read.fetchPage(cursorMark), cursorMark);
    }
  }

  private incomplete(read: CollectionRead, at: { received: number; page: number; problem: string; requests: number }): ThreatQIncompleteError {
    const total = read.maxTotal ?? 0;
    return new ThreatQIncompleteError(
      { instance: this.name, collection: read.collectionId, request: `GET /api${read.path}` },
      { ...at, total, lastTotal: read.lastTotal, tolerance: shortfallTolerance(total) },
    );
  }

  /**
   * Id → name maps for types and statuses. Only the kinds asked for are fetched; `ids` that are not in
   * a cached map trigger one re-read of that lookup (new types/statuses appear at run time).
   */
  async nameMaps(need: { types?: Iterable<number>; statuses?: Iterable<number> }, signal?: AbortSignal): Promise<ThreatQNameMaps> {
    for (const kind of ['types', 'statuses'] as const) {
      const ids = need[kind];
      if (ids === undefined) continue;
      let map = this.names[kind];
      if (map === undefined) {
        map = await this.fetchLookup(kind, signal);
        this.names[kind] = map;
      }
      const unknown = [...ids].filter((id) => !map?.has(id) && !this.refreshedFor[kind].has(id));
      if (unknown.length > 0) {
        for (const id of unknown) this.refreshedFor[kind].add(id);
        this.names[kind] = await this.fetchLookup(kind, signal);
      }
    }
    return { types: this.names.types ?? new Map(), statuses: this.names.statuses ?? new Map() };
  }

  private async fetchLookup(kind: LookupKind, signal: AbortSignal | undefined): Promise<Map<number, string>> {
    const path = kind === 'types' ? '/indicator/types' : '/indicator/statuses';
    const map = new Map<number, string>();
    for (let offset = 0; ; offset += LOOKUP_PAGE) {
      const body = (await this.getJson(path, { limit: LOOKUP_PAGE, offset }, { instance: this.name }, signal)) as ThreatQLookupPage;
      const data = Array.isArray(body.data) ? (body.data as unknown[]) : [];
      for (const item of data) {
        const o = item as { id?: unknown; name?: unknown } | null;
        const id = Number(o?.id);
        if (o && Number.isInteger(id) && typeof o.name === 'string') map.set(id, o.name.trim());
      }
      const total = typeof body.total === 'number' ? body.total : undefined;
      if (data.length < LOOKUP_PAGE || (total !== undefined && offset + data.length >= total)) return map;
    }
  }

  /** Release pooled connections. */
  close(): void {
    this.transport.close();
  }
}
