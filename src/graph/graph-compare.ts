/**
 * Comparing what Graph holds with what we would write. Graph echoes values exactly as sent, and
 * keywords (`All`, `None`, `AllTrusted`, …) are accepted in any case, so keywords compare
 * case-insensitively and CIDRs after normalisation (the range engine's sameCidrs). Arrays compare as sets.
 * Pure; used by reconcile to decide whether a write is needed at all.
 */
import { sameCidrs } from '../ranges/index.ts';
import type { ConditionalAccessPolicy, NamedLocation, NamedLocationSpec, PolicyBody, PolicyUsers } from './graph-types.ts';

function setOf(values: readonly string[], norm: (v: string) => string): Set<string> {
  return new Set(values.map(norm));
}

function sameSet(a: readonly string[], b: readonly string[], norm: (v: string) => string): boolean {
  const sa = setOf(a, norm);
  const sb = setOf(b, norm);
  return sa.size === sb.size && [...sa].every((v) => sb.has(v));
}

const lower = (v: string): string => v.toLowerCase();

/** Same keywords/ids/enum members, ignoring case and order. */
export function sameKeywords(a: readonly string[], b: readonly string[]): boolean {
  return sameSet(a, b, lower);
}

/** Would PATCHing `spec` onto `loc` change nothing? */
export function locationMatchesSpec(loc: NamedLocation, spec: NamedLocationSpec): boolean {
  return loc.displayName === spec.displayName && loc.isTrusted === spec.isTrusted && sameCidrs(loc.ipRanges, spec.ipRanges);
}

const USER_KEYS: readonly (keyof PolicyUsers)[] = ['includeUsers', 'excludeUsers', 'includeGroups', 'excludeGroups', 'includeRoles', 'excludeRoles'];

/** Would PATCHing `body` onto `policy` change nothing? Fields `body` leaves undefined are not compared. */
export function policyMatchesBody(policy: ConditionalAccessPolicy, body: PolicyBody): boolean {
  const c = policy.conditions;
  const w = body.conditions;
  if (policy.displayName !== body.displayName || policy.state !== body.state) return false;
  if (!sameKeywords(c.clientAppTypes, w.clientAppTypes) || !sameKeywords(c.signInRiskLevels, w.signInRiskLevels)) return false;
  if (!sameKeywords(c.applications.includeApplications, w.applications.includeApplications)) return false;
  if (!sameKeywords(c.applications.excludeApplications, w.applications.excludeApplications)) return false;
  if (w.users !== undefined) {
    for (const k of USER_KEYS) {
      const want = w.users[k];
      if (want !== undefined && !sameKeywords(c.users?.[k] ?? [], want)) return false;
    }
  }
  if (w.platforms !== undefined) {
    if (w.platforms === null || c.platforms === null) {
      if (w.platforms !== c.platforms) return false;
    } else if (
      !sameKeywords(c.platforms.includePlatforms, w.platforms.includePlatforms) ||
      !sameKeywords(c.platforms.excludePlatforms, w.platforms.excludePlatforms)
    ) {
      return false;
    }
  }
  if (!sameKeywords(c.locations?.includeLocations ?? [], w.locations.includeLocations)) return false;
  if (!sameKeywords(c.locations?.excludeLocations ?? [], w.locations.excludeLocations)) return false;
  const g = policy.grantControls;
  if (!g || g.operator.toUpperCase() !== body.grantControls.operator) return false;
  return sameKeywords(g.builtInControls, body.grantControls.builtInControls);
}
