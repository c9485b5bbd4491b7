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
 * - locations: include every shard id; with `excludeLocation`, include `All` and exclude the shards.
 * - users: managed only when `policy.users` is configured (include empty and no include groups →
 *   `None`); otherwise created with `includeUsers: [None]` as the guide's sample, never sent on update.
 * - Comparison is order-insensitive and case-insensitive for every string (keywords such as `All`,
 *   `None`, `Office365` are accepted in any case by Graph; GUIDs are case-insensitive).
 */
import type { PolicyConfig } from '../config/schema.ts';
import type { ConditionalAccessPolicy, PolicyBody } from '../graph/graph-types.ts';
import type { PolicyFieldChange } from './plan-types.ts';

function uniq(values: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const k = v.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/**
 * Build the managed body. `locationIds` are the shard ids in shard order (placeholders allowed);
 * `live` is the policy being updated (undefined when creating).
 */
export function buildPolicyBody(policy: PolicyConfig, locationIds: readonly string[], live: ConditionalAccessPolicy | undefined): PolicyBody {
  const clientAppTypes = policy.clientAppTypes.includes('all') ? ['all'] : uniq(policy.clientAppTypes);
  const include = uniq(policy.platforms.include);
  const exclude = uniq(policy.platforms.exclude);
  let platforms: PolicyBody['conditions']['platforms'];
  if (include.length > 0 || exclude.length > 0) {
    platforms = { includePlatforms: include.length > 0 ? include : ['all'], excludePlatforms: exclude };
  } else if (live?.conditions.platforms) {
    platforms = null;
  }
  const ids = uniq(locationIds);
  const locations = policy.excludeLocation
    ? { includeLocations: ['All'], excludeLocations: ids }
    : { includeLocations: ids, excludeLocations: [] };

  const body: PolicyBody = {
    displayName: policy.name,
    state: policy.state,
    conditions: {
      clientAppTypes,
      signInRiskLevels: uniq(policy.signInRiskLevels),
      applications: {
        includeApplications: uniq([...policy.applications.include, ...policy.applications.includeAppIds]),
        excludeApplications: uniq([...policy.applications.exclude, ...policy.applications.excludeAppIds]),
      },
      locations,
    },
    grantControls: { operator: 'OR', builtInControls: ['block'] },
  };
  if (platforms !== undefined) body.conditions.platforms = platforms;
  if (policy.users) {
    const u = policy.users;
    body.conditions.users = {
      includeUsers: u.include.length > 0 || u.includeGroups.length > 0 ? uniq(u.include) : ['None'],
      excludeUsers: uniq(u.exclude),
      includeGroups: uniq(u.includeGroups),
      excludeGroups: uniq(u.excludeGroups),
      excludeRoles: uniq(u.excludeRoles),
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

/** The managed fields that differ between `body` and the live policy (empty: no write needed). */
export function diffPolicy(body: PolicyBody, live: ConditionalAccessPolicy): PolicyFieldChange[] {
  const changes: PolicyFieldChange[] = [];
  const list = (field: string, from: readonly string[] | null | undefined, to: readonly string[]) => {
    if (!sameSet(from, to)) changes.push({ field, from: from ?? [], to });
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
  list('conditions.locations.includeLocations', c.locations?.includeLocations, b.locations.includeLocations);
  list('conditions.locations.excludeLocations', c.locations?.excludeLocations, b.locations.excludeLocations);
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
    const from = new Set((ch.from as string[]).map((s) => s.toLowerCase()));
    return (ch.to as string[]).every((s) => from.has(s.toLowerCase()));
  });
}
