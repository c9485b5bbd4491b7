/**
 * The managed body of the target's blocking conditional access policy, built from `target.policy`
 * (the guide's parameters), and its field-by-field comparison with the live policy.
 *
 * Choices (the issue is silent on these):
 * - applications: suites then app ids, de-duplicated, sent as configured (Graph judges empties).
 * - clientAppTypes: `all` wins over the others (guide: "If All is selected the other enabled types are
 *   ignored").
 * - platforms: the object is left out when none are configured; on update a live platforms condition
 *   is cleared with an explicit `null` (PATCH merges objects, so omission would keep it). When only
 *   exclusions are configured, include is `all` (Graph rejects an empty includePlatforms).
 * - locations: include every shard id; with `excludeLocation`, include `All` and exclude the shards. A
 *   plan holds them as LocationRefs (buildPlannedPolicyBody); apply resolves them (resolvePolicyBody).
 * - users: managed only when `policy.users` is configured (include empty and no include groups →
 *   `None`); otherwise created with `includeUsers: [None]` as the guide's sample, never sent on update.
 * - Comparison is order-insensitive and case-insensitive for every string (keywords such as `All`,
 *   `None`, `Office365` are accepted in any case by Graph; GUIDs are case-insensitive).
 */
import type { PolicyConfig } from '../config/schema.ts';
import type { ConditionalAccessPolicy, PolicyBody } from '../graph/graph-types.ts';
import { ALL_LOCATIONS, liveIdOf, locationRefKey, resolveLocationRef } from './location-ref.ts';
import type { LocationRef, PlannedPolicyBody, PolicyBodyOver, PolicyFieldChange } from './plan-types.ts';

const lower = (v: string): string => v.toLowerCase();

function uniq<T>(values: Iterable<T>, key: (v: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const v of values) {
    const k = key(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/**
 * Build the managed body. `locationIds` are the shard ids in shard order; `live` is the policy being
 * updated (undefined when creating).
 */
export function buildPolicyBody(policy: PolicyConfig, locationIds: readonly string[], live: ConditionalAccessPolicy | undefined): PolicyBody {
  return buildBody(policy, uniq(locationIds, lower), 'All', live);
}

/** The same body as a plan holds it: the shards as LocationRefs (live ids, or shards the plan creates). */
export function buildPlannedPolicyBody(policy: PolicyConfig, shards: readonly LocationRef[], live: ConditionalAccessPolicy | undefined): PlannedPolicyBody {
  return buildBody(policy, uniq(shards, locationRefKey), ALL_LOCATIONS, live);
}

/** The body to send: every LocationRef resolved (`created`: ids of the shards this run created). */
export function resolvePolicyBody(body: PlannedPolicyBody, created: ReadonlyMap<number, string>): PolicyBody {
  const resolve = (refs: readonly LocationRef[]) => refs.map((r) => resolveLocationRef(r, created));
  const loc = body.conditions.locations;
  const locations = { includeLocations: resolve(loc.includeLocations), excludeLocations: resolve(loc.excludeLocations) };
  return { ...body, conditions: { ...body.conditions, locations } };
}

function buildBody<L>(policy: PolicyConfig, ids: L[], all: L, live: ConditionalAccessPolicy | undefined): PolicyBodyOver<L> {
  const clientAppTypes = policy.clientAppTypes.includes('all') ? ['all'] : uniq(policy.clientAppTypes, lower);
  const include = uniq(policy.platforms.include, lower);
  const exclude = uniq(policy.platforms.exclude, lower);
  let platforms: PolicyBody['conditions']['platforms'];
  if (include.length > 0 || exclude.length > 0) {
    platforms = { includePlatforms: include.length > 0 ? include : ['all'], excludePlatforms: exclude };
  } else if (live?.conditions.platforms) {
    platforms = null;
  }
  const locations = policy.excludeLocation ? { includeLocations: [all], excludeLocations: ids } : { includeLocations: ids, excludeLocations: [] };

  const body: PolicyBodyOver<L> = {
    displayName: policy.name,
    state: policy.state,
    conditions: {
      clientAppTypes,
      signInRiskLevels: uniq(policy.signInRiskLevels, lower),
      applications: {
        includeApplications: uniq([...policy.applications.include, ...policy.applications.includeAppIds], lower),
        excludeApplications: uniq([...policy.applications.exclude, ...policy.applications.excludeAppIds], lower),
      },
      locations,
    },
    grantControls: { operator: 'OR', builtInControls: ['block'] },
  };
  if (platforms !== undefined) body.conditions.platforms = platforms;
  if (policy.users) {
    const u = policy.users;
    body.conditions.users = {
      includeUsers: u.include.length > 0 || u.includeGroups.length > 0 ? uniq(u.include, lower) : ['None'],
      excludeUsers: uniq(u.exclude, lower),
      includeGroups: uniq(u.includeGroups, lower),
      excludeGroups: uniq(u.excludeGroups, lower),
      excludeRoles: uniq(u.excludeRoles, lower),
    };
  } else if (!live) {
    body.conditions.users = { includeUsers: ['None'] };
  }
  return body;
}

function sameSet(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
  const x = new Set((a ?? []).map((s) => s.toLowerCase()));
  const y = new Set((b ?? []).map((s) => s.toLowerCase()));
  if (x.size !== y.size) return false;
  for (const v of x) if (!y.has(v)) return false;
  return true;
}

/** Do the live location ids equal the planned ones? A shard the plan creates is in no live policy. */
function sameLocations(from: readonly string[] | null | undefined, to: readonly (string | LocationRef)[]): boolean {
  const ids = to.map(liveIdOf);
  return ids.every((id) => id !== undefined) && sameSet(from, ids as string[]);
}

/**
 * The managed fields that differ between `body` and the live policy (empty: no write needed). For
 * location lists `from` holds the live ids and `to` the body's entries (LocationRefs in a plan).
 */
export function diffPolicy(body: PolicyBodyOver<string | LocationRef>, live: ConditionalAccessPolicy): PolicyFieldChange[] {
  const changes: PolicyFieldChange[] = [];
  const list = (field: string, from: readonly string[] | null | undefined, to: readonly string[]) => {
    if (!sameSet(from, to)) changes.push({ field, from: from ?? [], to });
  };
  const locations = (field: string, from: readonly string[] | undefined, to: readonly (string | LocationRef)[]) => {
    if (!sameLocations(from, to)) changes.push({ field, from: from ?? [], to });
  };
  const c = live.conditions;
  const b = body.conditions;
  if (live.state !== body.state) changes.push({ field: 'state', from: live.state, to: body.state });
  list('conditions.signInRiskLevels', c.signInRiskLevels, b.signInRiskLevels);
  list('conditions.clientAppTypes', c.clientAppTypes, b.clientAppTypes);
  list('conditions.applications.includeApplications', c.applications.includeApplications, b.applications.includeApplications);
  list('conditions.applications.excludeApplications', c.applications.excludeApplications, b.applications.excludeApplications);
  if (b.platforms) {
    list('conditions.platforms.includePlatforms', c.platforms?.includePlatforms ?? null, b.platforms.includePlatforms);
    list('conditions.platforms.excludePlatforms', c.platforms?.excludePlatforms ?? null, b.platforms.excludePlatforms);
  } else if (c.platforms) {
    changes.push({ field: 'conditions.platforms', from: c.platforms, to: null });
  }
  locations('conditions.locations.includeLocations', c.locations?.includeLocations, b.locations.includeLocations);
  locations('conditions.locations.excludeLocations', c.locations?.excludeLocations, b.locations.excludeLocations);
  if (b.users) {
    for (const key of ['includeUsers', 'excludeUsers', 'includeGroups', 'excludeGroups', 'includeRoles', 'excludeRoles'] as const) {
      const want = b.users[key];
      if (want !== undefined) list(`conditions.users.${key}`, c.users?.[key] ?? null, want);
    }
  }
  const g = live.grantControls;
  if (!g || g.operator.toUpperCase() !== body.grantControls.operator || !sameSet(g.builtInControls, body.grantControls.builtInControls)) {
    changes.push({ field: 'grantControls', from: g, to: body.grantControls });
  }
  return changes;
}

/** True when every change only drops location ids (the shards about to be deleted). */
export function onlyRemovesLocations(changes: readonly PolicyFieldChange[]): boolean {
  if (changes.length === 0) return false;
  return changes.every((ch) => {
    if (ch.field !== 'conditions.locations.includeLocations' && ch.field !== 'conditions.locations.excludeLocations') return false;
    const from = new Set((ch.from as string[]).map(lower));
    return (ch.to as (string | LocationRef)[]).every((s) => {
      const id = liveIdOf(s);
      return id !== undefined && from.has(id.toLowerCase());
    });
  });
}
