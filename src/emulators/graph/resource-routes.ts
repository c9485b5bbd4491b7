/**
 * The emulated Graph resources: `/v1.0/identity/conditionalAccess/{namedLocations|policies}[/{id}]`
 * for one tenant. Status codes as Graph's: list/get 200, create 201 with the full object, PATCH and
 * DELETE 204 with no body, unknown id 404 `ResourceNotFound`. Writes land in the authoritative state
 * at once and become visible to reads after the replication delay (tenant-store.ts). Named-location
 * PATCH merges top-level properties and replaces `ipRanges` wholesale; policy PATCH deep-merges
 * objects and replaces arrays. Validation: named-location-rules.ts, policy-rules.ts.
 */
import { randomUUID } from 'node:crypto';
import { listPage } from './collection-query.ts';
import { badRequest, graphError, graphTimestamp, type EmulatorResponse } from './emulator-http.ts';
import type { GraphEmulatorConfig } from './emulator-options.ts';
import { COUNTRY_TYPE, checkNamedLocationDelete, checkNamedLocationWrite } from './named-location-rules.ts';
import { checkPolicySchema, checkPolicySemantics } from './policy-rules.ts';
import { deepMerge, echoPolicy, fillPolicyDefaults } from './policy-shape.ts';
import type { Json, Kind, TenantStore } from './tenant-store.ts';

export interface ResourceContext {
  store: TenantStore;
  cfg: GraphEmulatorConfig;
  now: number;
  /** External URL of the request (for @odata.context and nextLink). */
  url: URL;
  /** The request sent `Prefer: include-unknown-enum-members`. */
  evolvable: boolean;
}

const READ_ONLY = ['id', 'createdDateTime', 'modifiedDateTime', 'deletedDateTime', '@odata.context'];

function writable(body: Json): Json {
  const out = { ...body };
  for (const k of READ_ONLY) delete out[k];
  return out;
}

function notFound(kind: Kind, id: string): EmulatorResponse {
  const what = kind === 'namedLocations' ? 'NamedLocation' : 'ConditionalAccessPolicy';
  return graphError(404, 'ResourceNotFound', `${what} with id ${id} does not exist in the directory.`);
}

function context(ctx: ResourceContext, kind: Kind, entity: boolean): string {
  return `${ctx.url.origin}/v1.0/$metadata#identity/conditionalAccess/${kind}${entity ? '/$entity' : ''}`;
}

export function handleResource(kind: Kind, method: string, rawId: string | undefined, body: unknown, ctx: ResourceContext): EmulatorResponse {
  const id = rawId?.toLowerCase();
  const project = kind === 'policies' ? (p: Json): Json => echoPolicy(p, ctx.evolvable) : (l: Json): Json => structuredClone(l);
  if (id === undefined) {
    if (method === 'GET') {
      return listPage({ url: ctx.url, items: ctx.store.listVisible(kind, ctx.now), pageSize: ctx.cfg.pageSize, context: context(ctx, kind, false), project });
    }
    if (method === 'POST') return kind === 'namedLocations' ? createLocation(body, ctx) : createPolicy(body, ctx);
    return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on the ${kind} collection`);
  }
  if (method === 'GET') {
    const item = ctx.store.visible(kind, id, ctx.now);
    return item ? { status: 200, body: { '@odata.context': context(ctx, kind, true), ...project(item) } } : notFound(kind, rawId ?? '');
  }
  const existing = ctx.store.current(kind, id);
  if (method !== 'PATCH' && method !== 'DELETE' && !(method === 'PUT' && kind === 'namedLocations' && ctx.cfg.allowPut)) {
    return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on ${kind}/{id}`);
  }
  if (!existing) return notFound(kind, rawId ?? '');
  const visibleAt = ctx.now + ctx.cfg.replicationDelayMs;
  if (method === 'DELETE') {
    if (kind === 'namedLocations') {
      const refused = checkNamedLocationDelete(existing, ctx.store.listCurrent('policies'), ctx.cfg);
      if (refused) return refused;
    }
    ctx.store.remove(kind, id, visibleAt);
    return { status: 204 };
  }
  if (kind === 'namedLocations') {
    const refused = checkNamedLocationWrite(body, ctx.cfg, existing);
    if (refused) return refused;
    const base = method === 'PUT' ? { '@odata.type': existing['@odata.type'], id, createdDateTime: existing['createdDateTime'], isTrusted: false } : existing;
    ctx.store.put(kind, id, { ...base, ...writable(body as Json), modifiedDateTime: graphTimestamp(ctx.now) }, visibleAt);
    return { status: 204 };
  }
  const refused = checkPolicySchema(body, false, ctx.evolvable);
  if (refused) return refused;
  const merged = deepMerge(existing, writable(body as Json));
  merged['modifiedDateTime'] = graphTimestamp(ctx.now);
  const invalid = checkPolicySemantics(merged, { cfg: ctx.cfg, locationExists: (lid) => ctx.store.visible('namedLocations', lid.toLowerCase(), ctx.now) !== undefined });
  if (invalid) return invalid;
  ctx.store.put(kind, id, merged, visibleAt);
  return { status: 204 };
}

function createLocation(body: unknown, ctx: ResourceContext): EmulatorResponse {
  const refused = checkNamedLocationWrite(body, ctx.cfg);
  if (refused) return refused;
  if (ctx.store.listCurrent('namedLocations').length >= ctx.cfg.maxLocations) {
    return badRequest(`EMULATOR: NL7: a tenant holds at most ${ctx.cfg.maxLocations} named locations`);
  }
  const b = body as Json;
  const id = randomUUID();
  const t = graphTimestamp(ctx.now);
  const common = { '@odata.type': b['@odata.type'], id, displayName: b['displayName'], modifiedDateTime: t, createdDateTime: t };
  const obj: Json =
    b['@odata.type'] === COUNTRY_TYPE
      ? {
          ...common,
          countriesAndRegions: b['countriesAndRegions'],
          includeUnknownCountriesAndRegions: b['includeUnknownCountriesAndRegions'] ?? false,
          countryLookupMethod: b['countryLookupMethod'] ?? 'clientIpAddress',
        }
      : { ...common, isTrusted: b['isTrusted'] ?? false, ipRanges: b['ipRanges'] };
  ctx.store.put('namedLocations', id, obj, ctx.now + ctx.cfg.replicationDelayMs);
  return { status: 201, body: { '@odata.context': context(ctx, 'namedLocations', true), ...obj } };
}

function createPolicy(body: unknown, ctx: ResourceContext): EmulatorResponse {
  const refused = checkPolicySchema(body, true, ctx.evolvable);
  if (refused) return refused;
  if (ctx.store.listCurrent('policies').length >= ctx.cfg.maxPolicies) {
    return badRequest(`EMULATOR: P9: a tenant holds at most ${ctx.cfg.maxPolicies} conditional access policies`);
  }
  const full = fillPolicyDefaults(writable(body as Json), randomUUID(), graphTimestamp(ctx.now));
  const invalid = checkPolicySemantics(full, { cfg: ctx.cfg, locationExists: (lid) => ctx.store.visible('namedLocations', lid.toLowerCase(), ctx.now) !== undefined });
  if (invalid) return invalid;
  ctx.store.put('policies', String(full['id']), full, ctx.now + ctx.cfg.replicationDelayMs);
  return { status: 201, body: { '@odata.context': context(ctx, 'policies', true), ...echoPolicy(full, ctx.evolvable) } };
}
