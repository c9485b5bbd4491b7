/**
 * The emulator's Conditional Access What If: which of a tenant's policies apply to one simulated
 * sign-in (request checked by what-if-request.ts). Each policy as a read sees it (replicated state,
 * like every read: a policy or location written a moment ago may still be judged in its old form), so
 * the answer lags writes as Graph's does.
 *
 * A policy applies when every condition it sets matches; otherwise `policyApplies: false` and
 * `analysisReasons` lists each condition that did not (a flags value, in this order: `users`,
 * `application`, `devicePlatform`, `clientApps`, `location`, `signInRisk`, `userRisk`). Modelled:
 * - state: `disabled` → `policyNotEnabled`; report-only and enabled policies are evaluated.
 * - users: include `All`, `None`, `GuestsOrExternalUsers` (users seeded as guests), object ids, and
 *   groups through the tenant's seeded membership map; the same for the exclude lists. A user the
 *   directory does not hold is refused (400). EMULATOR: roles are not modelled (a user is in no role:
 *   includeRoles never matches, excludeRoles never excludes); include/excludeGuestsOrExternalUsers
 *   objects match any guest.
 * - applications: `All`, `None`, `Office365` and `MicrosoftAdminPortals` (EMULATOR: each a small fixed
 *   set of well-known app ids below), app ids; exclusions likewise. User actions and authentication
 *   contexts never match an application sign-in.
 * - platforms (include `all` or the platform, minus exclusions), client app types (`all` on either
 *   side matches; `easSupported` is `exchangeActiveSync`), sign-in and user risk levels.
 * - locations: `All`; `AllTrusted` (the trusted IP named locations); ids of IP named locations (the
 *   address inside one of its ranges) and of country named locations (the request's `country`).
 * EMULATOR: a condition the request gives no value for (no `ipAddress` for a location condition, no
 * `devicePlatform` for a platform condition) does not apply, with the reason `notEnoughInformation`;
 * device filters, authentication flows, insider risk, client applications (service principals) and
 * the MFA trusted IPs pseudo-location are not modelled: a policy that sets them is answered
 * `notEnoughInformation` (never "applies" by guess). Several failing conditions are all listed
 * (Microsoft's reference calls the value a flags enum; whether it lists more than one is unknown).
 */
import { cidrsOverlap, parseCidr } from '../../ranges/index.ts';
import { COUNTRY_TYPE, IP_TYPE } from './named-location-rules.ts';
import type { Json } from './tenant-store.ts';
import type { WhatIfQuery } from './what-if-request.ts';

/** The tenant's users and groups, as seeded (`POST /__emulator/seed {directory}`). */
export interface EmulatorDirectory {
  /** user id (lower case) → is a guest. */
  users: Map<string, { guest: boolean }>;
  /** group id (lower case) → member user ids (lower case). */
  groups: Map<string, Set<string>>;
}

export function emptyDirectory(): EmulatorDirectory {
  return { users: new Map(), groups: new Map() };
}

/** EMULATOR: the app ids the suite keywords stand for here (Microsoft's lists are longer). */
const OFFICE365 = ['00000002-0000-0ff1-ce00-000000000000', '00000003-0000-0ff1-ce00-000000000000', 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe'];
const ADMIN_PORTALS = ['797f4846-ba00-4fd7-ba43-dac1f8f63013', 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c'];

export interface WhatIfContext {
  directory: EmulatorDirectory;
  /** A named location as a read sees it, by id. */
  location: (id: string) => Json | undefined;
  /** Every named location as a read sees it (for AllTrusted). */
  locations: () => Json[];
}

type Verdict = 'match' | 'no' | 'unknown';

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase()) : []);

function inGroups(groups: readonly string[], userId: string, dir: EmulatorDirectory): boolean {
  return groups.some((g) => dir.groups.get(g)?.has(userId) === true);
}

function usersVerdict(users: unknown, q: WhatIfQuery, dir: EmulatorDirectory): Verdict {
  if (!isObj(users)) return 'no';
  const guest = dir.users.get(q.userId)?.guest === true;
  const inc = list(users['includeUsers']);
  const exc = list(users['excludeUsers']);
  const included =
    inc.includes('all') ||
    inc.includes(q.userId) ||
    (guest && (inc.includes('guestsorexternalusers') || isObj(users['includeGuestsOrExternalUsers']))) ||
    inGroups(list(users['includeGroups']), q.userId, dir);
  const excluded =
    exc.includes(q.userId) ||
    (guest && (exc.includes('guestsorexternalusers') || isObj(users['excludeGuestsOrExternalUsers']))) ||
    inGroups(list(users['excludeGroups']), q.userId, dir);
  return included && !excluded ? 'match' : 'no';
}

function appMatches(keywordsOrIds: readonly string[], app: string): boolean {
  return keywordsOrIds.some((k) => k === 'all' || k === app || (k === 'office365' && OFFICE365.includes(app)) || (k === 'microsoftadminportals' && ADMIN_PORTALS.includes(app)));
}

function applicationsVerdict(apps: unknown, q: WhatIfQuery): Verdict {
  if (!isObj(apps)) return 'no';
  const inc = list(apps['includeApplications']).filter((a) => a !== 'none');
  const exc = list(apps['excludeApplications']);
  const targets = q.applications.map((a) => a.toLowerCase());
  return targets.some((a) => appMatches(inc, a) && !appMatches(exc, a)) ? 'match' : 'no';
}

function platformsVerdict(platforms: unknown, q: WhatIfQuery): Verdict {
  if (!isObj(platforms)) return 'match';
  if (q.devicePlatform === 'all') return 'unknown';
  const p = q.devicePlatform.toLowerCase();
  const inc = list(platforms['includePlatforms']);
  return (inc.includes('all') || inc.includes(p)) && !list(platforms['excludePlatforms']).includes(p) ? 'match' : 'no';
}

function clientAppsVerdict(types: unknown, q: WhatIfQuery): Verdict {
  const t = list(types).map((x) => (x === 'eassupported' ? 'exchangeactivesync' : x));
  const asked = q.clientAppType.toLowerCase() === 'eassupported' ? 'exchangeactivesync' : q.clientAppType.toLowerCase();
  return t.includes('all') || asked === 'all' || t.includes(asked) ? 'match' : 'no';
}

function ipInLocation(loc: Json, ip: string): boolean {
  const addr = parseCidr(`${ip}/${ip.includes(':') ? 128 : 32}`);
  if (!addr) return false;
  const ranges = Array.isArray(loc['ipRanges']) ? (loc['ipRanges'] as Json[]) : [];
  return ranges.some((r) => {
    const c = typeof r['cidrAddress'] === 'string' ? parseCidr(r['cidrAddress']) : undefined;
    return c !== undefined && cidrsOverlap(c, addr);
  });
}

/** Is the sign-in in this location entry (`All`, `AllTrusted` or an id)? undefined: not enough information. */
function inLocation(entry: string, q: WhatIfQuery, ctx: WhatIfContext): boolean | undefined {
  if (entry === 'all') return true;
  if (entry === 'alltrusted') {
    if (q.ipAddress === undefined) return undefined;
    const ip = q.ipAddress;
    return ctx.locations().some((l) => l['@odata.type'] === IP_TYPE && l['isTrusted'] === true && ipInLocation(l, ip));
  }
  const loc = ctx.location(entry);
  if (!loc) return false;
  if (loc['@odata.type'] === COUNTRY_TYPE) return q.country === undefined ? undefined : list(loc['countriesAndRegions']).includes(q.country.toLowerCase());
  return q.ipAddress === undefined ? undefined : ipInLocation(loc, q.ipAddress);
}

function locationsVerdict(locations: unknown, q: WhatIfQuery, ctx: WhatIfContext): Verdict {
  if (!isObj(locations)) return 'match';
  const inc = list(locations['includeLocations']).map((e) => inLocation(e, q, ctx));
  const exc = list(locations['excludeLocations']).map((e) => inLocation(e, q, ctx));
  if (inc.includes(undefined) || exc.includes(undefined)) return 'unknown';
  return inc.includes(true) && !exc.includes(true) ? 'match' : 'no';
}

function riskVerdict(levels: unknown, asked: string): Verdict {
  const l = list(levels);
  return l.length === 0 || l.includes(asked.toLowerCase()) ? 'match' : 'no';
}

/** Conditions the emulator does not model, set on this policy (→ notEnoughInformation). */
function unmodelled(c: Json): boolean {
  const set = (k: string): boolean => c[k] !== undefined && c[k] !== null;
  const users = isObj(c['users']) ? c['users'] : {};
  const locations = isObj(c['locations']) ? c['locations'] : {};
  const mfaTrustedIps = [...list(locations['includeLocations']), ...list(locations['excludeLocations'])].includes('00000000-0000-0000-0000-000000000000');
  const apps = isObj(c['applications']) ? c['applications'] : {};
  return set('devices') || set('authenticationFlows') || set('insiderRiskLevels') || set('clientApplications') || set('applicationFilter') || isObj(apps['applicationFilter']) || mfaTrustedIps || list(users['includeRoles']).length > 0;
}

/** `notSet` when the policy applies, else the failing conditions (comma-separated). */
export function evaluatePolicy(policy: Json, q: WhatIfQuery, ctx: WhatIfContext): { policyApplies: boolean; analysisReasons: string } {
  if (policy['state'] === 'disabled') return { policyApplies: false, analysisReasons: 'policyNotEnabled' };
  const c = isObj(policy['conditions']) ? policy['conditions'] : {};
  const verdicts: [string, Verdict][] = [
    ['users', usersVerdict(c['users'], q, ctx.directory)],
    ['application', applicationsVerdict(c['applications'], q)],
    ['devicePlatform', platformsVerdict(c['platforms'], q)],
    ['clientApps', clientAppsVerdict(c['clientAppTypes'], q)],
    ['location', locationsVerdict(c['locations'], q, ctx)],
    ['signInRisk', riskVerdict(c['signInRiskLevels'], q.signInRiskLevel)],
    ['userRisk', riskVerdict(c['userRiskLevels'], q.userRiskLevel)],
  ];
  const failing = verdicts.filter(([, v]) => v === 'no').map(([k]) => k);
  if (failing.length > 0) return { policyApplies: false, analysisReasons: failing.join(',') };
  if (verdicts.some(([, v]) => v === 'unknown') || unmodelled(c)) return { policyApplies: false, analysisReasons: 'notEnoughInformation' };
  return { policyApplies: true, analysisReasons: 'notSet' };
}
