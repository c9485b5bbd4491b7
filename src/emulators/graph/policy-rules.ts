/**
 * Validation of conditional access policy writes, rules P1–P9 of graph-api.md §9.3 (P9, the 196th
 * policy, is checked by the route). Microsoft's texts where known (1007 schema, 1064 empty
 * clientAppTypes, 1032 password change, 1040 missing location); unknown ones are `EMULATOR:`
 * placeholders. Enum members are case-sensitive; keywords (`All`, `None`, `AllTrusted`, …) are not.
 * `linux` and `riskRemediation` are evolvable members: accepted only with
 * `Prefer: include-unknown-enum-members` [I]; `unknownFutureValue` is never accepted as input.
 */
import { MALFORMED, badRequest, type EmulatorResponse } from './emulator-http.ts';
import type { GraphEmulatorConfig } from './emulator-options.ts';
import type { Json } from './tenant-store.ts';

export const P1_TEXT =
  '1007: Incoming ConditionalAccessPolicy object is null or does not match the schema of ConditionalAccessPolicy type. ' +
  'For examples, please see API documentation at https://docs.microsoft.com/en-us/graph/api/conditionalaccessroot-post-policies?view=graph-rest-1.0.';
export const P2_INNER =
  "1064: 'clientAppTypes' condition does not support []. If you want to target all client apps, use ['All']. If you want to target " +
  "modern authentication clients, use ['browser', 'mobileAppsAndDesktopClients']. If you want to target legacy authentication " +
  "clients, use ['exchangeActiveSync', 'other'].";
export const P6_INNER = '1032: ConditionalActionPolicy validation failed due to InvalidPasswordResetControl.';
export const P7_INNER = 'EMULATOR: P7: clientAppTypes not supported for selected platforms';

const STATES = ['enabled', 'disabled', 'enabledForReportingButNotEnforced'];
const CLIENT_APPS = ['all', 'browser', 'mobileAppsAndDesktopClients', 'exchangeActiveSync', 'easSupported', 'other'];
const PLATFORMS = ['android', 'iOS', 'windows', 'windowsPhone', 'macOS', 'all'];
const RISK = ['low', 'medium', 'high', 'hidden', 'none'];
const CONTROLS = ['block', 'mfa', 'compliantDevice', 'domainJoinedDevice', 'approvedApplication', 'compliantApplication', 'passwordChange'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MFA_TRUSTED_IPS = '00000000-0000-0000-0000-000000000000';

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const schema = (): EmulatorResponse => badRequest(P1_TEXT);
const strArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const enumArray = (v: unknown, members: readonly string[]): boolean => strArray(v) && v.every((x) => members.includes(x));

/** P1: types and enum members of a POST body or a PATCH patch. */
export function checkPolicySchema(body: unknown, creating: boolean, evolvable: boolean): EmulatorResponse | undefined {
  if (!isObj(body)) return schema();
  if (creating && (typeof body['displayName'] !== 'string' || body['displayName'].trim() === '')) return schema();
  if ('displayName' in body && typeof body['displayName'] !== 'string') return schema();
  if ((creating || 'state' in body) && !STATES.includes(body['state'] as string)) return schema();
  if (creating && !isObj(body['conditions'])) return schema();
  const c = body['conditions'];
  if (c !== undefined) {
    if (!isObj(c)) return schema();
    if ('clientAppTypes' in c && !enumArray(c['clientAppTypes'], CLIENT_APPS)) return schema();
    for (const k of ['signInRiskLevels', 'userRiskLevels', 'servicePrincipalRiskLevels']) {
      if (k in c && !enumArray(c[k], RISK)) return schema();
    }
    for (const k of ['applications', 'users', 'locations', 'platforms']) {
      const sub = c[k];
      if (sub === undefined || sub === null) continue;
      if (!isObj(sub)) return schema();
      for (const [name, v] of Object.entries(sub)) {
        if (!/^(include|exclude)[A-Z]/.test(name) || /GuestsOrExternalUsers$/.test(name)) continue;
        const ok = k === 'platforms' ? enumArray(v, evolvable ? [...PLATFORMS, 'linux'] : PLATFORMS) : strArray(v);
        if (!ok) return schema();
      }
    }
  }
  const g = body['grantControls'];
  if (g !== undefined && g !== null) {
    if (!isObj(g)) return schema();
    if (g['operator'] !== undefined && g['operator'] !== null && g['operator'] !== 'AND' && g['operator'] !== 'OR') return schema();
    if ('builtInControls' in g && !enumArray(g['builtInControls'], evolvable ? [...CONTROLS, 'riskRemediation'] : CONTROLS)) return schema();
    for (const k of ['customAuthenticationFactors', 'termsOfUse']) if (k in g && !strArray(g[k])) return schema();
  }
  const s = body['sessionControls'];
  if (s !== undefined && s !== null && !isObj(s)) return schema();
  return undefined;
}

const nonEmpty = (o: unknown): boolean =>
  isObj(o) && Object.entries(o).some(([k, v]) => k.startsWith('include') && Array.isArray(v) && v.length > 0);

export interface PolicyCheckContext {
  cfg: GraphEmulatorConfig;
  /** Is this named location id visible (replicated) in the tenant? */
  locationExists: (id: string) => boolean;
}

/** P2–P8 on the full policy as it would be stored. */
export function checkPolicySemantics(p: Json, ctx: PolicyCheckContext): EmulatorResponse | undefined {
  const c = (p['conditions'] ?? {}) as Json;
  const clientApps = (c['clientAppTypes'] ?? []) as string[];
  if (clientApps.length === 0) return badRequest(MALFORMED, P2_INNER);
  if (!isObj(c['applications'])) return schema();
  if (!nonEmpty(c['users']) && !nonEmpty(c['clientApplications'])) return schema();
  const platforms = c['platforms'];
  const include = isObj(platforms) ? ((platforms['includePlatforms'] ?? []) as string[]) : [];
  if (isObj(platforms) && include.length === 0) {
    return badRequest('EMULATOR: P8: includePlatforms must not be empty when the platforms condition is set');
  }
  for (const app of clientApps) {
    const banned = ctx.cfg.platformMatrix[app] ?? [];
    if (include.some((pl) => banned.includes(pl))) return badRequest(MALFORMED, P7_INNER);
  }
  const g = isObj(p['grantControls']) ? p['grantControls'] : undefined;
  const controls = (g?.['builtInControls'] ?? []) as string[];
  if (controls.includes('passwordChange')) {
    const userRisk = (c['userRiskLevels'] ?? []) as string[];
    const ok =
      g?.['operator'] === 'AND' && controls.includes('mfa') && userRisk.length > 0 &&
      clientApps.length === 1 && clientApps[0] === 'all' && ((c['signInRiskLevels'] ?? []) as string[]).length === 0 &&
      !isObj(c['platforms']) && !isObj(c['locations']);
    if (!ok) return badRequest(MALFORMED, P6_INNER);
  }
  const grantEffective =
    g !== undefined &&
    (controls.length > 0 || ((g['termsOfUse'] ?? []) as unknown[]).length > 0 ||
      ((g['customAuthenticationFactors'] ?? []) as unknown[]).length > 0 || isObj(g['authenticationStrength']));
  const session = p['sessionControls'];
  const sessionEffective = isObj(session) && Object.values(session).some((v) => v !== null && v !== undefined && v !== false);
  if (!grantEffective && !sessionEffective) {
    return badRequest('EMULATOR: P5: a policy needs a grant control or a session control');
  }
  const loc = c['locations'];
  if (isObj(loc)) {
    for (const id of [...((loc['includeLocations'] ?? []) as string[]), ...((loc['excludeLocations'] ?? []) as string[])]) {
      const keyword = ['all', 'alltrusted'].includes(id.toLowerCase());
      if (keyword || id === MFA_TRUSTED_IPS) continue;
      if (!GUID.test(id) || !ctx.locationExists(id)) {
        return badRequest(`1040: NamedLocation with id ${id} does not exist in the directory.`);
      }
    }
  }
  return undefined;
}
