/**
 * A faithful local ThreatQ API emulator (reference threatq-api.md §9) for tests, the demo and
 * benchmarks: `startThreatQEmulator(options)` serves HTTP (or HTTPS with `tls: {key, cert}`) on
 * 127.0.0.1 and returns a handle with the URL, the credentials it accepts and programmatic controls
 * mirroring `/__emulator/*`.
 *
 * Data: a fixture (`seedFile`, JSON in the ThreatQSeed format), a seed object, and/or a deterministic
 * generator (`generate: {count, seed, distribution}`). Defaults: one user and one OAuth client (emulator-seed.ts),
 * the types IP Address … Email Address and statuses Active … Whitelisted with per-instance ids shifted
 * by `idOffset` (default 40), collections `6d4c1f0e2b9a8c7d` (everything) and `a1b2c3d4e5f6` (every
 * third indicator) unless the seed names its own.
 * Faults (`/__emulator/faults`) apply to `/api/*` requests only: scripted ones first, then seeded
 * random ones (`setRandomFaults({p429, p500, p503, seed, retryAfterSeconds})`, random-faults.ts), so
 * chaos runs are reproducible. Page faults (`{page: {kind, fromIndex}, times}`) answer a collection
 * page with HTTP 200 and a damaged body (empty or null `data`, no or the same cursor, a shrunk
 * `total`); see EmulatorPageFault. Write-back endpoints (tags and attributes of indicators,
 * write-routes.ts) keep what was written and a write log (`annotations()`, `writes()`,
 * `/__emulator/annotations`, `/__emulator/writes`). The request log keeps the last
 * `requestLogLimit` (default 10,000) requests.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { addFaults, annotationsOf, mutateIndicator, type IndicatorAnnotations, type IndicatorPatch } from './control-routes.ts';
import { handleControl } from './control-routes.ts';
import type { EmulatorBehaviour, EmulatorContext, EmulatorFault, RequestLogEntry } from './emulator-context.ts';
import { EmulatorHttpError } from './errors/emulator-http-error.ts';
import { errorsBody, sendJson } from './emulator-http.ts';
import {
  DEFAULT_CLIENTS,
  DEFAULT_COLLECTIONS,
  DEFAULT_STATUSES,
  DEFAULT_TYPES,
  DEFAULT_USERS,
  firstIndicatorIdFor,
  statusIdFor,
  typeIdFor,
  type GenerateSpec,
  type SeedClient,
  type SeedUser,
  type ThreatQSeed,
} from './emulator-seed.ts';
import { EmulatorStore, type IndicatorRecord } from './emulator-store.ts';
import { AnnotationStore, type WriteLogEntry } from './annotation-store.ts';
import { EmulatorTokens } from './emulator-tokens.ts';
import { handleData } from './data-routes.ts';
import { RandomFaults, type RandomFaultConfig, type RandomFaultState } from '../random-faults.ts';
import { GENERATOR_BASE_EPOCH, fillGenerated } from './indicator-generator.ts';
import { parseTime } from './cursor-mark.ts';
import { handleToken } from './token-routes.ts';

export interface ThreatQEmulatorOptions extends Partial<EmulatorBehaviour> {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Shifts type, status and indicator ids so that instances differ. Default 40. */
  idOffset?: number;
  /** Seed data (merged over the defaults). */
  seed?: ThreatQSeed;
  /** A JSON fixture in the ThreatQSeed format, read at start. */
  seedFile?: string;
  /** Generate N indicators (overrides seed.generate). */
  generate?: GenerateSpec;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  requestLogLimit?: number;
}

export interface ThreatQEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the client appends /api). */
  url: string;
  port: number;
  context: EmulatorContext;
  users: readonly SeedUser[];
  clients: readonly SeedClient[];
  collections: readonly string[];
  addFault(fault: EmulatorFault): void;
  /** Seeded random faults on /api/* (undefined stops them). */
  setRandomFaults(config: RandomFaultConfig | undefined): void;
  randomFaults(): RandomFaultState | undefined;
  expireTokens(): number;
  mutate(id: number, patch: IndicatorPatch): void;
  seed(seed: ThreatQSeed): void;
  configure(behaviour: Partial<EmulatorBehaviour>): void;
  reset(): void;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  /** Every indicator of a collection (or of the instance), in id order: the ground truth for tests. */
  indicators(collectionId?: string): Generator<IndicatorRecord>;
  /** Tags and attributes of every indicator that has any (written through the write-back endpoints). */
  annotations(): IndicatorAnnotations[];
  /** Every write-back request that reached a handler (not those answered by an injected fault). */
  writes(): WriteLogEntry[];
  clearWrites(): void;
  close(): Promise<void>;
}

const DEFAULT_BEHAVIOUR: EmulatorBehaviour = {
  tokenTtlSeconds: 3600,
  lowercaseTokenType: false,
  emptyPageDataAsObject: false,
  idsOnly: false,
  scoreAsObject: false,
};

function loadSeed(options: ThreatQEmulatorOptions): ThreatQSeed {
  let fromFile: ThreatQSeed = {};
  if (options.seedFile !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(options.seedFile, 'utf8')) as ThreatQSeed;
    } catch (e) {
      throw new Error(`ThreatQ emulator: cannot load seed file ${options.seedFile}: ${(e as Error).message}`, { cause: e });
    }
  }
  const seed: ThreatQSeed = { ...fromFile, ...options.seed };
  if (options.generate !== undefined) seed.generate = options.generate;
  return {
    users: seed.users ?? [...DEFAULT_USERS],
    clients: seed.clients ?? [...DEFAULT_CLIENTS],
    types: seed.types ?? [...DEFAULT_TYPES],
    statuses: seed.statuses ?? [...DEFAULT_STATUSES],
    indicators: seed.indicators ?? [],
    ...(seed.generate ? { generate: seed.generate } : {}),
    collections: seed.collections ?? { ...DEFAULT_COLLECTIONS },
  };
}

function applySeed(ctx: EmulatorContext, seed: ThreatQSeed, replace: boolean): void {
  const store = ctx.store;
  if (seed.users || replace) store.users = [...(seed.users ?? [])];
  if (seed.clients || replace) store.clients = [...(seed.clients ?? [])];
  const lookupsChanged = seed.types !== undefined || seed.statuses !== undefined;
  if (seed.types) store.setTypes(seed.types, (i) => typeIdFor(ctx.idOffset, i));
  if (seed.statuses) store.setStatuses(seed.statuses, (i) => statusIdFor(ctx.idOffset, i));
  if (seed.indicators !== undefined || seed.generate !== undefined || lookupsChanged || replace) {
    store.clearIndicators();
    let nextId = firstIndicatorIdFor(ctx.idOffset);
    if (seed.generate) {
      fillGenerated(store, seed.generate, nextId);
      nextId += seed.generate.count;
    }
    for (const [k, ind] of (seed.indicators ?? []).entries()) {
      const updated = ind.updated_at === undefined ? GENERATOR_BASE_EPOCH + k * 60 : parseTime(ind.updated_at);
      const created = ind.created_at === undefined ? updated : parseTime(ind.created_at);
      if (updated === undefined || created === undefined) throw new Error(`indicator ${k}: times must be "YYYY-MM-DD HH:MM:SS"`);
      const id = ind.id ?? nextId;
      nextId = Math.max(nextId, id) + 1;
      store.rows.push(id, ind.value, store.typeIndex(ind.type), store.statusIndex(ind.status), ind.score ?? null, created, updated);
    }
    store.changed();
  }
  if (seed.collections || replace) store.collections = new Map(Object.entries(seed.collections ?? {}));
  store.changed();
}

function matches(f: EmulatorFault, method: string, path: string): boolean {
  if ((f.times ?? 1) <= 0) return false;
  // Page faults answer 200 with a damaged body: the collection route applies them (data-routes.ts).
  if (f.page !== undefined) return false;
  if (f.match?.method !== undefined && f.match.method.toUpperCase() !== method) return false;
  return f.match?.path === undefined || path.startsWith(f.match.path);
}

function faultMessage(status: number): string {
  return status === 429 ? 'Too Many Attempts.' : status === 503 ? 'Service Unavailable.' : 'Server Error.';
}

async function applyFault(ctx: EmulatorContext, method: string, path: string, res: http.ServerResponse): Promise<boolean> {
  const f = ctx.faults.find((x) => matches(x, method, path));
  if (f === undefined) {
    const status = path.startsWith('/api/') ? ctx.random?.roll(method, path) : undefined;
    if (status === undefined) return false;
    const ra = ctx.random?.retryAfterSeconds;
    sendJson(res, status, errorsBody(faultMessage(status)), ra === undefined ? {} : { 'retry-after': String(ra) });
    return true;
  }
  f.times = (f.times ?? 1) - 1;
  if (f.times <= 0) ctx.faults.splice(ctx.faults.indexOf(f), 1);
  if (f.delayMs !== undefined && f.delayMs > 0) await sleep(f.delayMs);
  if (f.status === undefined) return false;
  const headers: Record<string, string> = f.retryAfter === undefined ? {} : { 'retry-after': String(f.retryAfter) };
  sendJson(res, f.status, errorsBody(faultMessage(f.status)), headers);
  return true;
}

/** A fresh emulator state: the behaviour flags (defaults, then options) and the initial seed applied. */
function createContext(options: ThreatQEmulatorOptions): EmulatorContext {
  const initial = loadSeed(options);
  const behaviour0: EmulatorBehaviour = { ...DEFAULT_BEHAVIOUR };
  for (const k of Object.keys(DEFAULT_BEHAVIOUR) as (keyof EmulatorBehaviour)[]) {
    if (options[k] !== undefined) (behaviour0 as unknown as Record<string, unknown>)[k] = options[k];
  }
  const idOffset = options.idOffset ?? 40;
  const ctx: EmulatorContext = {
    store: new EmulatorStore(),
    annotations: new AnnotationStore(idOffset),
    tokens: new EmulatorTokens(behaviour0.tokenTtlSeconds),
    behaviour: { ...behaviour0 },
    faults: [],
    log: [],
    idOffset,
    applySeed: (seed, replace) => applySeed(ctx, seed, replace),
    reset: () => {
      applySeed(ctx, initial, true);
      Object.assign(ctx.behaviour, behaviour0);
      ctx.faults.length = 0;
      ctx.random = undefined;
      ctx.log.length = 0;
      ctx.annotations.clear();
      ctx.tokens.clear();
    },
  };
  applySeed(ctx, initial, true);
  return ctx;
}

/**
 * One request, after logging has been set up: control routes, then faults (scripted, then random),
 * then the token and data routes. Errors become ThreatQ-shaped error bodies.
 */
async function route(ctx: EmulatorContext, req: http.IncomingMessage, res: http.ServerResponse, url: URL, entry: RequestLogEntry): Promise<void> {
  const method = entry.method;
  try {
    if (url.pathname.startsWith('/__emulator/')) return await handleControl(ctx, req, res, url);
    if (await applyFault(ctx, method, url.pathname, res)) {
      entry.fault = true;
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/api/token') {
      if (method !== 'POST') throw new EmulatorHttpError(405, errorsBody('Method not allowed.'));
      const grant = await handleToken(ctx, req, res, url);
      if (grant !== undefined) entry.grant = grant;
      return;
    }
    if (path.startsWith('/api/')) return await handleData(ctx, req, res, url, () => void (entry.fault = true));
    throw new EmulatorHttpError(404, errorsBody('Not found.'));
  } catch (e) {
    if (res.headersSent) return void res.destroy();
    if (e instanceof EmulatorHttpError) sendJson(res, e.status, e.body, e.headers);
    else sendJson(res, 500, errorsBody(`Emulator error: ${(e as Error).message}`));
  }
}

/** The server's request handler: every non-control request is logged (the last `logLimit` kept). */
function requestHandler(ctx: EmulatorContext, logLimit: number): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const entry: RequestLogEntry = {
      at: new Date().toISOString(),
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      auth: /^(\S+)/.exec(req.headers.authorization ?? '')?.[1] ?? 'none',
    };
    const control = url.pathname.startsWith('/__emulator/');
    res.on('finish', () => {
      if (control) return;
      entry.status = res.statusCode;
      ctx.log.push(entry);
      if (ctx.log.length > logLimit) ctx.log.splice(0, ctx.log.length - logLimit);
    });
    void route(ctx, req, res, url, entry);
  };
}

/** The handle over a listening emulator: its URL and the programmatic controls. */
function emulatorHandle(ctx: EmulatorContext, server: http.Server, url: string, port: number): ThreatQEmulator {
  return {
    url,
    port,
    context: ctx,
    get users() {
      return ctx.store.users;
    },
    get clients() {
      return ctx.store.clients;
    },
    get collections() {
      return [...ctx.store.collections.keys()];
    },
    addFault: (fault) => void addFaults(ctx, fault),
    setRandomFaults: (config) => void (ctx.random = config === undefined ? undefined : new RandomFaults(config)),
    randomFaults: () => ctx.random?.state(),
    expireTokens: () => ctx.tokens.expireAll(),
    mutate: (id, patch) => mutateIndicator(ctx, id, patch),
    seed: (seed) => ctx.applySeed(seed, false),
    configure: (b) => void Object.assign(ctx.behaviour, b),
    reset: () => ctx.reset(),
    requests: () => [...ctx.log],
    clearRequests: () => void (ctx.log.length = 0),
    annotations: () => annotationsOf(ctx),
    writes: () => [...ctx.annotations.writes],
    clearWrites: () => void (ctx.annotations.writes.length = 0),
    *indicators(collectionId?: string) {
      const c = collectionId === undefined ? undefined : ctx.store.collections.get(collectionId);
      if (collectionId !== undefined && c === undefined) throw new Error(`no collection ${collectionId}`);
      for (let r = 0; r < ctx.store.rows.count; r++) if (c === undefined || ctx.store.inCollection(c, r)) yield ctx.store.record(r);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startThreatQEmulator(options: ThreatQEmulatorOptions = {}): Promise<ThreatQEmulator> {
  const ctx = createContext(options);
  const handler = requestHandler(ctx, options.requestLogLimit ?? 10_000);
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return emulatorHandle(ctx, server, url, port);
}
