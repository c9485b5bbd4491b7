/**
 * Shape of stored conditional access policies in the emulator: defaults Graph fills in on create
 * (absent arrays `[]`, absent objects `null`, all six `users` arrays; graph-api.md §9.3), PATCH merge
 * (objects deep-merged, arrays replaced, explicit null clears), and the echo of evolvable enum members
 * (`linux`, `riskRemediation` read as `unknownFutureValue` unless the request sent
 * `Prefer: include-unknown-enum-members`). Keywords are stored and echoed exactly as sent.
 */
import type { Json } from './tenant-store.ts';

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? [...(v as unknown[])] : []);
const objOrNull = (v: unknown): Json | null => (isObj(v) ? { ...v } : null);

export function deepMerge(target: Json, patch: Json): Json {
  const out: Json = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = isObj(v) && isObj(cur) ? deepMerge(cur, v) : structuredClone(v);
  }
  return out;
}

/** The full object Graph returns after creating `body`. */
export function fillPolicyDefaults(body: Json, id: string, createdDateTime: string): Json {
  const c = isObj(body['conditions']) ? body['conditions'] : {};
  const apps = isObj(c['applications']) ? c['applications'] : null;
  const users = isObj(c['users']) ? c['users'] : null;
  const grant = isObj(body['grantControls']) ? body['grantControls'] : null;
  return {
    id,
    templateId: body['templateId'] ?? null,
    displayName: body['displayName'],
    description: body['description'] ?? null,
    createdDateTime,
    modifiedDateTime: null,
    state: body['state'],
    sessionControls: objOrNull(body['sessionControls']),
    conditions: {
      userRiskLevels: arr(c['userRiskLevels']),
      signInRiskLevels: arr(c['signInRiskLevels']),
      clientAppTypes: arr(c['clientAppTypes']),
      servicePrincipalRiskLevels: arr(c['servicePrincipalRiskLevels']),
      insiderRiskLevels: c['insiderRiskLevels'] ?? null,
      platforms: objOrNull(c['platforms']),
      locations: c['locations'] === undefined || c['locations'] === null ? null : { includeLocations: [], excludeLocations: [], ...(c['locations'] as Json) },
      devices: objOrNull(c['devices']),
      clientApplications: objOrNull(c['clientApplications']),
      authenticationFlows: objOrNull(c['authenticationFlows']),
      applications: apps && {
        includeApplications: arr(apps['includeApplications']),
        excludeApplications: arr(apps['excludeApplications']),
        includeUserActions: arr(apps['includeUserActions']),
        includeAuthenticationContextClassReferences: arr(apps['includeAuthenticationContextClassReferences']),
        applicationFilter: apps['applicationFilter'] ?? null,
      },
      users: users && {
        includeUsers: arr(users['includeUsers']),
        excludeUsers: arr(users['excludeUsers']),
        includeGroups: arr(users['includeGroups']),
        excludeGroups: arr(users['excludeGroups']),
        includeRoles: arr(users['includeRoles']),
        excludeRoles: arr(users['excludeRoles']),
        includeGuestsOrExternalUsers: users['includeGuestsOrExternalUsers'] ?? null,
        excludeGuestsOrExternalUsers: users['excludeGuestsOrExternalUsers'] ?? null,
      },
    },
    grantControls: grant && {
      operator: grant['operator'] ?? null,
      builtInControls: arr(grant['builtInControls']),
      customAuthenticationFactors: arr(grant['customAuthenticationFactors']),
      termsOfUse: arr(grant['termsOfUse']),
      authenticationStrength: grant['authenticationStrength'] ?? null,
    },
  };
}

const EVOLVABLE = new Set(['linux', 'riskRemediation']);

/** A copy for the response; evolvable members hidden unless the caller opted in. */
export function echoPolicy(policy: Json, includeUnknownEnumMembers: boolean): Json {
  const out = structuredClone(policy);
  if (includeUnknownEnumMembers) return out;
  const hide = (v: unknown): unknown => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' && EVOLVABLE.has(x) ? 'unknownFutureValue' : x)) : v);
  const c = out['conditions'];
  if (isObj(c) && isObj(c['platforms'])) {
    c['platforms']['includePlatforms'] = hide(c['platforms']['includePlatforms']);
    c['platforms']['excludePlatforms'] = hide(c['platforms']['excludePlatforms']);
  }
  if (isObj(out['grantControls'])) out['grantControls']['builtInControls'] = hide(out['grantControls']['builtInControls']);
  return out;
}
