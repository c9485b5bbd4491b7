/**
 * Unknown properties in POST/PATCH bodies. Graph's v1.0 types for named locations and conditional
 * access policies are not open types, so a property the schema does not declare (a misspelling such
 * as `includeLocation`, or a beta-only property) is refused with 400 `BadRequest` instead of being
 * silently dropped. The property lists come from the v1.0 CSDL (msgraph-metadata
 * clean_v10_metadata, see graph-v1-ca-schema.md): declared plus inherited properties. Instance
 * annotations (`@odata.type`, `x@odata.type`, …) are allowed everywhere. Types whose properties were
 * not extracted (session-control subtypes, authenticationStrength) are not checked inside.
 *
 * EMULATOR: the exact text Graph sends for these endpoints is unknown; the message follows the OData
 * library's wording for an undeclared property ("The property 'x' does not exist on type '…'") and
 * carries the EMULATOR: prefix, so no client or test may depend on it.
 */
import { badRequest, type EmulatorResponse } from './emulator-http.ts';
import type { Json } from './tenant-store.ts';

type Shape = { props: Record<string, string | null> };

/** property name → the type of its value (for nested checks) or null (scalar, or not checked inside). */
const T: Record<string, Shape> = {
  namedLocation: { props: { id: null, displayName: null, createdDateTime: null, modifiedDateTime: null, deletedDateTime: null } },
  ipNamedLocation: { props: { ipRanges: 'ipRange', isTrusted: null } },
  countryNamedLocation: { props: { countriesAndRegions: null, includeUnknownCountriesAndRegions: null, countryLookupMethod: null } },
  iPv4CidrRange: { props: { cidrAddress: null } },
  iPv6CidrRange: { props: { cidrAddress: null } },
  iPv4Range: { props: { lowerAddress: null, upperAddress: null } },
  iPv6Range: { props: { lowerAddress: null, upperAddress: null } },
  conditionalAccessPolicy: {
    props: {
      id: null, deletedDateTime: null, conditions: 'conditionalAccessConditionSet', createdDateTime: null, description: null,
      displayName: null, grantControls: 'conditionalAccessGrantControls', modifiedDateTime: null,
      sessionControls: 'conditionalAccessSessionControls', state: null, templateId: null,
    },
  },
  conditionalAccessConditionSet: {
    props: {
      applications: 'conditionalAccessApplications', authenticationFlows: 'conditionalAccessAuthenticationFlows',
      clientApplications: 'conditionalAccessClientApplications', clientAppTypes: null, devices: 'conditionalAccessDevices',
      insiderRiskLevels: null, locations: 'conditionalAccessLocations', platforms: 'conditionalAccessPlatforms',
      servicePrincipalRiskLevels: null, signInRiskLevels: null, userRiskLevels: null, users: 'conditionalAccessUsers',
    },
  },
  conditionalAccessApplications: {
    props: { applicationFilter: 'conditionalAccessFilter', excludeApplications: null, includeApplications: null, includeAuthenticationContextClassReferences: null, includeUserActions: null },
  },
  conditionalAccessAuthenticationFlows: { props: { transferMethods: null } },
  conditionalAccessClientApplications: { props: { excludeServicePrincipals: null, includeServicePrincipals: null, servicePrincipalFilter: 'conditionalAccessFilter' } },
  conditionalAccessDevices: { props: { deviceFilter: 'conditionalAccessFilter' } },
  conditionalAccessFilter: { props: { mode: null, rule: null } },
  conditionalAccessLocations: { props: { excludeLocations: null, includeLocations: null } },
  conditionalAccessPlatforms: { props: { excludePlatforms: null, includePlatforms: null } },
  conditionalAccessUsers: {
    props: {
      excludeGroups: null, excludeGuestsOrExternalUsers: 'conditionalAccessGuestsOrExternalUsers', excludeRoles: null, excludeUsers: null,
      includeGroups: null, includeGuestsOrExternalUsers: 'conditionalAccessGuestsOrExternalUsers', includeRoles: null, includeUsers: null,
    },
  },
  conditionalAccessGuestsOrExternalUsers: { props: { externalTenants: null, guestOrExternalUserTypes: null } },
  conditionalAccessGrantControls: { props: { builtInControls: null, customAuthenticationFactors: null, operator: null, termsOfUse: null, authenticationStrength: null } },
  conditionalAccessSessionControls: {
    props: {
      applicationEnforcedRestrictions: null, cloudAppSecurity: null, disableResilienceDefaults: null, persistentBrowser: null,
      secureSignInSession: null, signInFrequency: null,
    },
  },
};

const IP_RANGE_TYPES: Record<string, string> = {
  '#microsoft.graph.iPv4CidrRange': 'iPv4CidrRange',
  '#microsoft.graph.iPv6CidrRange': 'iPv6CidrRange',
  '#microsoft.graph.iPv4Range': 'iPv4Range',
  '#microsoft.graph.iPv6Range': 'iPv6Range',
};

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isAnnotation = (name: string): boolean => name.startsWith('@') || name.includes('@odata.');

export function unknownPropertyText(property: string, type: string): string {
  return (
    `EMULATOR: The property '${property}' does not exist on type 'microsoft.graph.${type}'. ` +
    'Make sure to only use property names that are defined by the type or mark the type as open type.'
  );
}

/** The first undeclared property under `value` read as `types` (several: a derived type and its bases). */
function findUnknown(value: unknown, types: string[]): { property: string; type: string } | undefined {
  if (!isObj(value)) return undefined;
  const shapes = types.map((t) => T[t]).filter((s): s is Shape => s !== undefined);
  for (const [name, v] of Object.entries(value)) {
    if (isAnnotation(name)) continue;
    const decl = shapes.find((s) => name in s.props);
    if (!decl) return { property: name, type: types[0] ?? 'unknown' };
    const nested = decl.props[name];
    if (!nested) continue;
    if (nested === 'ipRange') {
      if (!Array.isArray(v)) continue;
      for (const item of v as unknown[]) {
        const sub = isObj(item) ? IP_RANGE_TYPES[String(item['@odata.type'])] : undefined;
        if (!sub) continue; // NL3 refuses a missing or unknown range type
        const found = findUnknown(item, [sub]);
        if (found) return found;
      }
      continue;
    }
    const found = findUnknown(v, [nested]);
    if (found) return found;
  }
  return undefined;
}

/** 400 for a named-location body (`odataType` as sent or stored) with an undeclared property. */
export function checkNamedLocationProperties(body: unknown, odataType: unknown): EmulatorResponse | undefined {
  const derived = odataType === '#microsoft.graph.ipNamedLocation' ? 'ipNamedLocation' : odataType === '#microsoft.graph.countryNamedLocation' ? 'countryNamedLocation' : undefined;
  if (!derived) return undefined; // NL1 answers first
  const found = findUnknown(body, [derived, 'namedLocation']);
  return found ? badRequest(unknownPropertyText(found.property, found.type)) : undefined;
}

/** 400 for a policy body with an undeclared property, at any depth the schema describes. */
export function checkPolicyProperties(body: unknown): EmulatorResponse | undefined {
  const found = findUnknown(body, ['conditionalAccessPolicy']);
  return found ? badRequest(unknownPropertyText(found.property, found.type)) : undefined;
}
