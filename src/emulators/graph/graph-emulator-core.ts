/**
 * The Graph emulator's state and request handling, independent of the listening server:
 * tenants, apps, configuration, per-tenant stores, throttle, faults and the request log.
 *
 * Order of checks on a Graph request: bearer token (401) → scripted fault → tenant throttle (429,
 * no Retry-After unless configured) → roles (403) → body (POST/PATCH need `Content-Type:
 * application/json` and valid JSON, else 400) → resource rules. Log entries record the arrival time.
 * Conditional Access What If (`POST …/conditionalAccess/evaluate`, what-if-route.ts) is throttled like
 * every CA call and needs only a read permission; it evaluates against a per-tenant directory of users
 * and group memberships seeded with `POST /__emulator/seed {directory}` (what-if-evaluate.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleControl, type EmulatorControls, type SeedInput } from './control-routes.ts';
import { badRequest, graphError, graphTimestamp, readBody, writeResponse, type EmulatorResponse } from './emulator-http.ts';
import { DEFAULT_CONFIG, mergeConfig, type EmulatorApp, type EmulatorConfigPatch, type GraphEmulatorConfig, type GraphEmulatorOptions } from './emulator-options.ts';
import { FaultInjector, type FaultRule } from './fault-injector.ts';
import { authenticate, authorize } from './graph-auth.ts';
import { handleDeletedItems, handleResource } from './resource-routes.ts';
import { TenantStore, type Json, type Kind } from './tenant-store.ts';
import { TenantThrottle } from './tenant-throttle.ts';
import { issueToken, openIdConfiguration } from './token-endpoints.ts';
import { IP_TYPE } from './named-location-rules.ts';
import { fillPolicyDefaults } from './policy-shape.ts';
import { emptyDirectory, type EmulatorDirectory } from './what-if-evaluate.ts';
import { handleEvaluate } from './what-if-route.ts';

export interface RequestLogEntry {
  seq: number;
  kind: 'graph' | 'token';
  method: string;
  path: string;
  status: number;
  /** Arrival time, ISO and epoch ms. */
  time: string;
  at: number;
  tenantId?: string;
  clientId?: string;
  body?: unknown;
  fault?: string;
}

const GRAPH_PATH = /^\/v1\.0\/identity\/conditionalAccess\/(namedLocations|policies)(?:\/([^/]+))?\/?$/;
/** Soft-deleted objects (v1.0 `conditionalAccessRoot.deletedItems`); `restore` is a bound action. */
/** Conditional Access What If (what-if-route.ts). */
const EVALUATE_PATH = /^\/v1\.0\/identity\/conditionalAccess\/evaluate\/?$/;
const DELETED_PATH = /^\/v1\.0\/identity\/conditionalAccess\/deletedItems\/(namedLocations|policies)(?:\/([^/]+)(?:\/(?:microsoft\.graph\.)?(restore))?)?\/?$/;

export class GraphEmulatorCore implements EmulatorControls {
  cfg: GraphEmulatorConfig;
  tenants: Set<string>;
  apps: EmulatorApp[];
  readonly faults = new FaultInjector();
  private readonly initial: { cfg: GraphEmulatorConfig; tenants: string[]; apps: EmulatorApp[] };
  private stores = new Map<string, TenantStore>();
  /** Per tenant: the users and groups What If knows (seeded). */
  private directories = new Map<string, EmulatorDirectory>();
  private readonly throttle = new TenantThrottle();
  private log: RequestLogEntry[] = [];
  private seq = 0;
  origin = '';
  /** The emulator's clock (epoch ms): replication, timestamps, throttle. */
  readonly now: () => number;

  constructor(options: GraphEmulatorOptions, defaultApps: readonly EmulatorApp[]) {
    const { throttle, clock, ...rest } = options;
    this.now = clock ?? Date.now;
    this.cfg = mergeConfig(DEFAULT_CONFIG, { ...rest, ...(throttle ? { throttle } : {}) });
    this.apps = (options.apps ?? defaultApps).map((a) => ({ ...a, roles: [...a.roles] }));
    this.tenants = new Set(options.tenants ?? this.apps.map((a) => a.tenantId));
    this.initial = { cfg: this.cfg, tenants: [...this.tenants], apps: this.apps.map((a) => ({ ...a })) };
  }

  store(tenantId: string): TenantStore {
    let s = this.stores.get(tenantId);
    if (!s) this.stores.set(tenantId, (s = new TenantStore()));
    return s;
  }

  defaultTenant(): string {
    const first = [...this.tenants][0];
    if (!first) throw new Error('the emulator serves no tenant');
    return first;
  }

  requests(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  clearRequests(): void {
    this.log = [];
  }

  directory(tenantId: string): EmulatorDirectory {
    let d = this.directories.get(tenantId);
    if (!d) this.directories.set(tenantId, (d = emptyDirectory()));
    return d;
  }

  reset(): void {
    this.stores = new Map();
    this.directories = new Map();
    this.log = [];
    this.faults.clear();
    this.throttle.reset();
    this.cfg = this.initial.cfg;
    this.tenants = new Set(this.initial.tenants);
    this.apps = this.initial.apps.map((a) => ({ ...a, roles: [...a.roles] }));
  }

  configure(patch: EmulatorConfigPatch): void {
    const { apps, tenants, ...rest } = patch;
    this.cfg = mergeConfig(this.cfg, rest);
    if (apps) this.apps = apps.map((a) => ({ ...a, roles: [...a.roles] }));
    if (tenants) this.tenants = new Set(tenants);
    else if (apps) for (const a of apps) this.tenants.add(a.tenantId);
  }

  describe(): Json {
    return { config: this.cfg, tenants: [...this.tenants], apps: this.apps, graphBaseUrl: this.origin, authorityHost: this.origin };
  }

  addFaults(rules: FaultRule[]): void {
    this.faults.add(rules);
  }

  /** Insert objects visible at once; missing ids and timestamps are filled in. Returns the ids. */
  seed(input: SeedInput): { namedLocations: string[]; policies: string[] } {
    const tenant = input.tenantId ?? this.defaultTenant();
    const store = this.store(tenant);
    const put = (kind: Kind, obj: Json): string => {
      const id = String(obj['id'] ?? randomUUID()).toLowerCase();
      const t = graphTimestamp(this.now());
      const full =
        kind === 'policies'
          ? { ...fillPolicyDefaults(obj, id, String(obj['createdDateTime'] ?? t)), modifiedDateTime: obj['modifiedDateTime'] ?? null }
          : { '@odata.type': IP_TYPE, isTrusted: false, createdDateTime: t, modifiedDateTime: t, ...obj, id };
      store.put(kind, id, full, Number.NEGATIVE_INFINITY, 'create');
      return id;
    };
    if (input.directory) this.seedDirectory(tenant, input.directory);
    return {
      namedLocations: (input.namedLocations ?? []).map((o) => put('namedLocations', o)),
      policies: (input.policies ?? []).map((o) => put('policies', o)),
    };
  }

  /** Users (ids, or {id, guest}) and groups ({groupId: [userIds]}) for What If; groups' members become users. */
  private seedDirectory(tenant: string, input: NonNullable<SeedInput['directory']>): void {
    const dir = this.directory(tenant);
    for (const u of input.users ?? []) {
      const { id, guest } = typeof u === 'string' ? { id: u, guest: false } : { id: u.id, guest: u.guest === true };
      dir.users.set(id.toLowerCase(), { guest });
    }
    for (const [group, members] of Object.entries(input.groups ?? {})) {
      const set = dir.groups.get(group.toLowerCase()) ?? new Set<string>();
      for (const m of members) {
        set.add(m.toLowerCase());
        if (!dir.users.has(m.toLowerCase())) dir.users.set(m.toLowerCase(), { guest: false });
      }
      dir.groups.set(group.toLowerCase(), set);
    }
  }

  state(tenantId?: string): { tenantId: string; namedLocations: Json[]; policies: Json[] } {
    const tenant = tenantId ?? this.defaultTenant();
    const s = this.store(tenant);
    return { tenantId: tenant, namedLocations: s.listCurrent('namedLocations'), policies: s.listCurrent('policies') };
  }

  private record(entry: Omit<RequestLogEntry, 'seq' | 'time'>): void {
    this.log.push({ seq: ++this.seq, time: new Date(entry.at).toISOString(), ...entry });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', req.headers.host ? `https://${req.headers.host}` : this.origin);
    const path = `${url.pathname}${url.search}`;
    let text: string;
    try {
      text = await readBody(req);
    } catch (e) {
      writeResponse(req, res, badRequest(`EMULATOR: ${(e as Error).message}`));
      return;
    }
    if (url.pathname.startsWith('/__emulator/')) {
      let body: unknown;
      try {
        body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        writeResponse(req, res, badRequest('EMULATOR: control body is not JSON'));
        return;
      }
      writeResponse(req, res, handleControl(this, method, url, body));
      return;
    }
    const graph = GRAPH_PATH.exec(url.pathname);
    if (graph) {
      await this.handleGraph(req, res, { at, method, url, path, text, kind: graph[1] as Kind, id: graph[2] });
      return;
    }
    if (EVALUATE_PATH.test(url.pathname)) {
      await this.handleGraph(req, res, { at, method, url, path, text, kind: 'policies', id: undefined, evaluate: true });
      return;
    }
    const deleted = DELETED_PATH.exec(url.pathname);
    if (deleted) {
      await this.handleGraph(req, res, { at, method, url, path, text, kind: deleted[1] as Kind, id: deleted[2], deleted: { action: deleted[3] } });
      return;
    }
    this.handleToken(req, res, { at, method, url, path, text });
  }

  private handleToken(req: IncomingMessage, res: ServerResponse, r: { at: number; method: string; url: URL; path: string; text: string }): void {
    const m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(r.url.pathname);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(r.url.pathname);
    let out: EmulatorResponse;
    let tenantId: string | undefined;
    let clientId: string | undefined;
    let body: unknown;
    if (m && r.method === 'GET') {
      tenantId = m[1];
      out = this.tenants.has(tenantId ?? '') ? openIdConfiguration(r.url.origin, tenantId ?? '') : graphError(400, 'invalid_tenant', `EMULATOR: tenant '${tenantId ?? ''}' not found`);
    } else if (/^\/([^/]+)\/discovery\/v2\.0\/keys$/.test(r.url.pathname) && r.method === 'GET') {
      out = { status: 200, body: { keys: [] } };
    } else if (token && r.method === 'POST') {
      tenantId = token[1] ?? '';
      const form = new URLSearchParams(r.text);
      const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const [id = '', secret = ''] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
      clientId = form.get('client_id') ?? (id || undefined);
      body = { grant_type: form.get('grant_type'), client_id: clientId, scope: form.get('scope') };
      out = issueToken({
        tenant: tenantId,
        form,
        basicAuth: basic ? { id: decodeURIComponent(id), secret: decodeURIComponent(secret) } : undefined,
        tenants: this.tenants,
        apps: this.apps,
        lifetimeSeconds: this.cfg.tokenLifetimeSeconds,
        now: r.at,
      });
    } else if (r.url.pathname === '/common/discovery/instance') {
      out = { status: 200, body: { tenant_discovery_endpoint: `${r.url.origin}/common/v2.0/.well-known/openid-configuration`, 'api-version': '1.1', metadata: [] } };
    } else {
      out = graphError(404, 'NotFound', `EMULATOR: no route ${r.method} ${r.url.pathname}`);
    }
    this.record({ kind: 'token', method: r.method, path: r.path, status: out.status, at: r.at, tenantId, clientId, body });
    writeResponse(req, res, out);
  }

  private async handleGraph(
    req: IncomingMessage,
    res: ServerResponse,
    r: GraphRoute & { at: number; path: string },
  ): Promise<void> {
    let logBody: unknown;
    try {
      logBody = r.text.trim() === '' ? undefined : JSON.parse(r.text);
    } catch {
      logBody = r.text;
    }
    const entry = { kind: 'graph' as const, method: r.method, path: r.path, at: r.at, body: logBody };
    const caller = authenticate(req.headers.authorization, this.tenants, this.apps, r.at);
    if ('status' in caller) {
      this.record({ ...entry, status: caller.status });
      writeResponse(req, res, caller);
      return;
    }
    const who = { tenantId: caller.tenantId, clientId: caller.clientId };
    const fault = this.faults.take(r.method, r.url.pathname, caller.tenantId);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.reset) {
      this.record({ ...entry, ...who, status: 0, fault: 'reset' });
      req.socket.destroy();
      return;
    }
    if (fault?.status) {
      this.record({ ...entry, ...who, status: fault.status, fault: `status ${fault.status}` });
      writeResponse(req, res, faultResponse(fault));
      return;
    }
    const faultNote = fault ? { fault: `delay ${fault.delayMs ?? 0}ms` } : {};
    let out: EmulatorResponse;
    if (!this.throttle.admit(caller.tenantId, r.at, this.cfg.throttle)) {
      const ra = this.cfg.throttle.retryAfterSeconds;
      out = tooManyRequests(ra);
    } else {
      // What If is a POST that needs only a read permission.
      out = authorize(caller, r.method !== 'GET' && r.evaluate !== true) ?? this.route(req, r, caller.tenantId);
    }
    this.record({ ...entry, ...who, ...faultNote, status: out.status });
    writeResponse(req, res, out);
  }

  private route(req: IncomingMessage, r: GraphRoute, tenantId: string): EmulatorResponse {
    const evolvable = /include-unknown-enum-members/i.test(String(req.headers['prefer'] ?? ''));
    const ctx = { store: this.store(tenantId), cfg: this.cfg, now: this.now(), url: r.url, evolvable };
    if (r.deleted) return handleDeletedItems(r.kind, r.method, r.id, r.deleted.action, ctx);
    let body: unknown;
    if (r.method === 'POST' || r.method === 'PATCH' || r.method === 'PUT') {
      if (!/application\/json/i.test(req.headers['content-type'] ?? '')) {
        return badRequest('EMULATOR: Content-Type must be application/json');
      }
      try {
        body = JSON.parse(r.text);
      } catch {
        return badRequest('EMULATOR: the request body is not valid JSON');
      }
    }
    if (r.evaluate) return handleEvaluate(r.method, body, ctx, this.directory(tenantId));
    return handleResource(r.kind, r.method, r.id, body, ctx);
  }
}

/** A Graph request as routed: the resource kind and id, or deletedItems, or What If. */
interface GraphRoute {
  method: string;
  url: URL;
  text: string;
  kind: Kind;
  id: string | undefined;
  deleted?: { action: string | undefined };
  evaluate?: boolean;
}

export function tooManyRequests(retryAfterSeconds: number | null | undefined): EmulatorResponse {
  const out = graphError(429, 'TooManyRequests', 'Please retry again later.', { innerMessage: 'Please retry after' });
  if (retryAfterSeconds !== null && retryAfterSeconds !== undefined) out.headers = { 'retry-after': String(retryAfterSeconds) };
  return out;
}

function faultResponse(fault: FaultRule): EmulatorResponse {
  const status = fault.status ?? 503;
  const headers = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined;
  if (status === 429) return tooManyRequests(fault.retryAfterSeconds);
  if (status === 503) return graphError(503, 'serviceNotAvailable', 'Service is temporarily unavailable. Please retry later.', headers ? { headers } : {});
  if (status === 504) return graphError(504, 'GatewayTimeout', 'The gateway did not receive a timely response.', headers ? { headers } : {});
  return graphError(status, 'UnknownError', `EMULATOR: injected fault ${status}`, headers ? { headers } : {});
}
