/**
 * The emulated Graph resources: `/v1.0/identity/conditionalAccess/{namedLocations|policies}[/{id}]`
 * for one tenant. Status codes as Graph's: list/get 200, create 201 with the full object, PATCH and
 * DELETE 204 with no body, unknown id 404 `ResourceNotFound`. Writes land in the authoritative state
 * at once; reads and preconditions see them as they replicate, rule by rule (replication.ts): a new
 * object is 404 to GET, PATCH and DELETE, a location un-trusted or unreferenced a moment ago still
 * cannot be deleted, an object deleted a moment ago still counts toward the 195 limits, reads mix old
 * and new near the end of a delay (every precondition and its view: README "Emulators"). Undeclared properties in a body
 * are refused (known-properties.ts). DELETE is a soft delete: the object goes to
 * `deletedItems/{namedLocations|policies}`, where it can be read, restored (a create: limits and, for a
 * policy, every policy rule again) or removed for good. Named-location
 * PATCH merges top-level properties and replaces `ipRanges` wholesale; policy PATCH deep-merges
 * objects and replaces arrays. Validation: named-location-rules.ts, policy-rules.ts.
 */
import { randomUUID } from 'node:crypto';
import { listPage } from './collection-query.ts';
import { badRequest, graphError, graphTimestamp, type EmulatorResponse } from './emulator-http.ts';
import type { GraphEmulatorConfig } from './emulator-options.ts';
import { COUNTRY_TYPE, checkNamedLocationDelete, checkNamedLocationWrite } from './named-location-rules.ts';
import { checkNamedLocationProperties, checkPolicyProperties } from './known-properties.ts';
import { checkPolicySchema, checkPolicySemantics } from './policy-rules.ts';
import { deepMerge, echoPolicy, fillPolicyDefaults } from './policy-shape.ts';
import { ReplicatedView } from './replication.ts';
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

function view(ctx: ResourceContext): ReplicatedView {
  return new ReplicatedView(ctx.store, ctx.cfg, ctx.now);
}

function projector(kind: Kind, ctx: ResourceContext): (o: Json) => Json {
  return kind === 'policies' ? (p: Json): Json => echoPolicy(p, ctx.evolvable) : (l: Json): Json => structuredClone(l);
}

export function handleResource(kind: Kind, method: string, rawId: string | undefined, body: unknown, ctx: ResourceContext): EmulatorResponse {
  const id = rawId?.toLowerCase();
  const project = projector(kind, ctx);
  const replicated = view(ctx);
  if (id === undefined) {
    if (method === 'GET') {
      return listPage({ url: ctx.url, items: replicated.list(kind), pageSize: ctx.cfg.pageSize, context: context(ctx, kind, false), project });
    }
    if (method === 'POST') return kind === 'namedLocations' ? createLocation(body, ctx) : createPolicy(body, ctx);
    return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on the ${kind} collection`);
  }
  if (method === 'GET') {
    const item = replicated.read(kind, id);
    return item ? { status: 200, body: { '@odata.context': context(ctx, kind, true), ...project(item) } } : notFound(kind, rawId ?? '');
  }
  if (method !== 'PATCH' && method !== 'DELETE' && !(method === 'PUT' && kind === 'namedLocations' && ctx.cfg.allowPut)) {
    return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on ${kind}/{id}`);
  }
  // EMULATOR: a PATCH or DELETE of an object whose creation has not replicated is answered 404 (rule
  // writeAfterCreate); Microsoft's answer is unknown, 404 is the stricter reading.
  const existing = replicated.writable(kind, id);
  if (!existing) return notFound(kind, rawId ?? '');
  if (method === 'DELETE') {
    if (kind === 'namedLocations') {
      // NL8/NL9 on replicated state: un-trust or a dropped reference that has not replicated still counts.
      const user = replicated.referencingPolicy(id);
      const refused = checkNamedLocationDelete({ ...existing, isTrusted: replicated.trusted(id) }, user ? [user] : [], ctx.cfg);
      if (refused) return refused;
    }
    ctx.store.remove(kind, id, ctx.now, { ...existing, deletedDateTime: graphTimestamp(ctx.now) });
    return { status: 204 };
  }
  if (kind === 'namedLocations') {
    const unknown = ctx.cfg.rejectUnknownProperties ? checkNamedLocationProperties(body, (body as Json | null)?.['@odata.type']) : undefined;
    const refused = checkNamedLocationWrite(body, ctx.cfg, existing) ?? unknown;
    if (refused) return refused;
    const base = method === 'PUT' ? { '@odata.type': existing['@odata.type'], id, createdDateTime: existing['createdDateTime'], isTrusted: false } : existing;
    ctx.store.put(kind, id, { ...base, ...writable(body as Json), modifiedDateTime: graphTimestamp(ctx.now) }, ctx.now);
    return { status: 204 };
  }
  const refused = (ctx.cfg.rejectUnknownProperties ? checkPolicyProperties(body) : undefined) ?? checkPolicySchema(body, false, ctx.evolvable);
  if (refused) return refused;
  const merged = deepMerge(existing, writable(body as Json));
  merged['modifiedDateTime'] = graphTimestamp(ctx.now);
  const invalid = checkPolicySemantics(merged, { cfg: ctx.cfg, locationExists: (lid) => replicated.locationReferencable(lid) });
  if (invalid) return invalid;
  ctx.store.put(kind, id, merged, ctx.now);
  return { status: 204 };
}

/**
 * `deletedItems/{namedLocations|policies}[/{id}[/restore]]` (v1.0 CSDL: `conditionalAccessRoot.deletedItems`,
 * bound action `restore`). A deleted object is listed once its delete has replicated (`readAfterDelete`)
 * with `deletedDateTime` set. EMULATOR: that DELETE soft-deletes named locations as well as policies,
 * that restore answers 200 with the object, and that a permanent DELETE answers 204 are assumptions.
 * A restored object is a new write: it replicates like a create.
 */
export function handleDeletedItems(kind: Kind, method: string, rawId: string | undefined, action: string | undefined, ctx: ResourceContext): EmulatorResponse {
  const replicated = view(ctx);
  const project = projector(kind, ctx);
  const ctxUrl = `${ctx.url.origin}/v1.0/$metadata#identity/conditionalAccess/deletedItems/${kind}`;
  if (rawId === undefined) {
    if (method !== 'GET') return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on deletedItems/${kind}`);
    return listPage({ url: ctx.url, items: replicated.deletedItems(kind), pageSize: ctx.cfg.pageSize, context: ctxUrl, project });
  }
  const id = rawId.toLowerCase();
  const item = replicated.deletedItem(kind, id);
  if (!item) return notFound(kind, rawId);
  if (action === 'restore' && method === 'POST') return restore(kind, id, item, ctx, replicated);
  if (action !== undefined) return graphError(405, 'BadRequest', `EMULATOR: ${method} ${action} is not supported on deletedItems/${kind}/{id}`);
  if (method === 'GET') return { status: 200, body: { '@odata.context': `${ctxUrl}/$entity`, ...project(item) } };
  if (method === 'DELETE') {
    ctx.store.takeDeleted(kind, id);
    return { status: 204 };
  }
  return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on deletedItems/${kind}/{id}`);
}

/**
 * NL7/P9, the 196th object, on replicated state: an object deleted less than `countAfterDelete` ago
 * still counts (EMULATOR: the stricter reading; Microsoft does not say which view the limits count).
 */
function overLimit(kind: Kind, ctx: ResourceContext, replicated: ReplicatedView, restoring?: string): EmulatorResponse | undefined {
  const max = kind === 'namedLocations' ? ctx.cfg.maxLocations : ctx.cfg.maxPolicies;
  if (replicated.count(kind, restoring) < max) return undefined;
  return kind === 'namedLocations'
    ? badRequest(`EMULATOR: NL7: a tenant holds at most ${max} named locations`)
    : badRequest(`EMULATOR: P9: a tenant holds at most ${max} conditional access policies`);
}

/**
 * POST `deletedItems/{kind}/{id}/restore`: a new create under the same id, so the 195 limits apply
 * (NL7/P9), and a policy must pass the policy rules again, P3 included: a restore whose policy names a
 * location that is gone, or whose creation or restore has not replicated (`referenceAfterCreate`), is
 * refused with the 1040 error of a policy write. Microsoft's support notes say a policy whose
 * dependent objects (named locations among them) are deleted is not restored [I]; the error text is
 * unknown (EMULATOR: the 1040 text of §3 is reused).
 */
function restore(kind: Kind, id: string, item: Json, ctx: ResourceContext, replicated: ReplicatedView): EmulatorResponse {
  const restored: Json = { ...item };
  delete restored['deletedDateTime'];
  const refused =
    overLimit(kind, ctx, replicated, id) ??
    (kind === 'policies' ? checkPolicySemantics(restored, { cfg: ctx.cfg, locationExists: (lid) => replicated.locationReferencable(lid) }) : undefined);
  if (refused) return refused;
  ctx.store.takeDeleted(kind, id);
  ctx.store.put(kind, id, restored, ctx.now, 'create');
  return { status: 200, body: { '@odata.context': context(ctx, kind, true), ...projector(kind, ctx)(restored) } };
}

function createLocation(body: unknown, ctx: ResourceContext): EmulatorResponse {
  const unknown = ctx.cfg.rejectUnknownProperties ? checkNamedLocationProperties(body, (body as Json | null)?.['@odata.type']) : undefined;
  const refused = checkNamedLocationWrite(body, ctx.cfg) ?? unknown;
  if (refused) return refused;
  const full = overLimit('namedLocations', ctx, view(ctx));
  if (full) return full;
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
  ctx.store.put('namedLocations', id, obj, ctx.now, 'create');
  return { status: 201, body: { '@odata.context': context(ctx, 'namedLocations', true), ...obj } };
}

function createPolicy(body: unknown, ctx: ResourceContext): EmulatorResponse {
  const refused = (ctx.cfg.rejectUnknownProperties ? checkPolicyProperties(body) : undefined) ?? checkPolicySchema(body, true, ctx.evolvable);
  if (refused) return refused;
  const tooMany = overLimit('policies', ctx, view(ctx));
  if (tooMany) return tooMany;
  const full = fillPolicyDefaults(writable(body as Json), randomUUID(), graphTimestamp(ctx.now));
  const invalid = checkPolicySemantics(full, { cfg: ctx.cfg, locationExists: (lid) => view(ctx).locationReferencable(lid) });
  if (invalid) return invalid;
  ctx.store.put('policies', String(full['id']), full, ctx.now, 'create');
  return { status: 201, body: { '@odata.context': context(ctx, 'policies', true), ...echoPolicy(full, ctx.evolvable) } };
}
