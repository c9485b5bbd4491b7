/**
 * Validation of a What If request body (`POST /v1.0/identity/conditionalAccess/evaluate`), as strict
 * as Microsoft's reference (conditionalaccessroot-evaluate, signInConditions, userSignIn,
 * applicationContext): the three objects are required; every property is typed and every enum member
 * exact (`unknownFutureValue` refused as input, `linux` only with `Prefer: include-unknown-enum-members`,
 * as for policies); a property the reference does not name is refused; `ipAddress` must be one IPv4 or
 * IPv6 address (no prefix). Microsoft's error texts are unknown: every message here is an `EMULATOR:`
 * placeholder (400 BadRequest).
 *
 * EMULATOR: not modelled, refused with 400 rather than answered wrongly: `servicePrincipalSignIn`
 * identities, `userActionContext` and `authContext` sign-in contexts.
 */
import { parseCidr } from '../../ranges/index.ts';
import { badRequest, type EmulatorResponse } from './emulator-http.ts';
import type { Json } from './tenant-store.ts';

export const USER_SIGN_IN = '#microsoft.graph.userSignIn';
export const APPLICATION_CONTEXT = '#microsoft.graph.applicationContext';

const CLIENT_APPS = ['all', 'browser', 'mobileAppsAndDesktopClients', 'exchangeActiveSync', 'easSupported', 'other'];
const PLATFORMS = ['android', 'iOS', 'windows', 'windowsPhone', 'macOS', 'all'];
const RISK = ['low', 'medium', 'high', 'hidden', 'none'];
const INSIDER_RISK = ['none', 'minor', 'moderate', 'elevated'];
const TRANSFER = ['none', 'deviceCodeFlow', 'authenticationTransfer'];
const EXTERNAL_USER_TYPES = ['none', 'internalGuest', 'b2bCollaborationGuest', 'b2bCollaborationMember', 'b2bDirectConnectUser', 'otherExternalUser', 'serviceProvider'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A validated sign-in, with the defaults of the reference filled in. */
export interface WhatIfQuery {
  userId: string;
  applications: string[];
  ipAddress: string | undefined;
  country: string | undefined;
  clientAppType: string;
  devicePlatform: string;
  signInRiskLevel: string;
  userRiskLevel: string;
  appliedPoliciesOnly: boolean;
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const bad = (what: string): EmulatorResponse => badRequest(`EMULATOR: evaluate: ${what}`);

function unknownKey(o: Json, allowed: readonly string[], where: string): EmulatorResponse | undefined {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  return extra === undefined ? undefined : bad(`${where} has no property "${extra}"`);
}

function enumValue(o: Json, key: string, members: readonly string[], where: string): EmulatorResponse | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  return typeof v === 'string' && members.includes(v) ? undefined : bad(`${where}.${key} must be one of ${members.join(', ')}`);
}

/** A bare IPv4 or IPv6 address (no prefix), as the parser of the range engine reads it. */
export function isIpAddress(v: string): boolean {
  return !v.includes('/') && (parseCidr(`${v}/32`) !== undefined || parseCidr(`${v}/128`) !== undefined);
}

function checkIdentity(v: unknown): EmulatorResponse | string {
  if (!isObj(v)) return bad('signInIdentity is required (an object with @odata.type)');
  const type = v['@odata.type'];
  if (type !== USER_SIGN_IN) {
    return bad(type === '#microsoft.graph.servicePrincipalSignIn' ? 'servicePrincipalSignIn is not modelled by the emulator' : `signInIdentity @odata.type must be ${USER_SIGN_IN}`);
  }
  const extra = unknownKey(v, ['@odata.type', 'userId', 'externalUserType', 'externalTenantId'], 'signInIdentity');
  if (extra) return extra;
  if (typeof v['userId'] !== 'string' || !GUID.test(v['userId'])) return bad('signInIdentity.userId must be a user object id (a GUID)');
  if (v['externalTenantId'] !== undefined && typeof v['externalTenantId'] !== 'string') return bad('signInIdentity.externalTenantId must be a string');
  return enumValue(v, 'externalUserType', EXTERNAL_USER_TYPES, 'signInIdentity') ?? v['userId'].toLowerCase();
}

function checkContext(v: unknown): EmulatorResponse | string[] {
  if (!isObj(v)) return bad('signInContext is required (an object with @odata.type)');
  const type = v['@odata.type'];
  if (type !== APPLICATION_CONTEXT) {
    const known = type === '#microsoft.graph.userActionContext' || type === '#microsoft.graph.authContext';
    return bad(known ? `${String(type)} is not modelled by the emulator` : `signInContext @odata.type must be ${APPLICATION_CONTEXT}`);
  }
  const extra = unknownKey(v, ['@odata.type', 'includeApplications'], 'signInContext');
  if (extra) return extra;
  const apps = v['includeApplications'];
  if (!Array.isArray(apps) || apps.length === 0 || !apps.every((a) => typeof a === 'string' && a !== '')) {
    return bad('signInContext.includeApplications must be a non-empty array of application ids');
  }
  return apps as string[];
}

const CONDITION_KEYS = ['@odata.type', 'signInRiskLevel', 'userRiskLevel', 'servicePrincipalRiskLevel', 'country', 'ipAddress', 'clientAppType', 'devicePlatform', 'deviceInfo', 'insiderRiskLevel', 'authenticationFlow'];

function checkConditions(v: unknown, evolvable: boolean): EmulatorResponse | undefined {
  if (!isObj(v)) return bad('signInConditions is required (an object)');
  const problem =
    unknownKey(v, CONDITION_KEYS, 'signInConditions') ??
    enumValue(v, 'clientAppType', CLIENT_APPS, 'signInConditions') ??
    enumValue(v, 'devicePlatform', evolvable ? [...PLATFORMS, 'linux'] : PLATFORMS, 'signInConditions') ??
    enumValue(v, 'signInRiskLevel', RISK, 'signInConditions') ??
    enumValue(v, 'userRiskLevel', RISK, 'signInConditions') ??
    enumValue(v, 'servicePrincipalRiskLevel', RISK, 'signInConditions') ??
    enumValue(v, 'insiderRiskLevel', INSIDER_RISK, 'signInConditions');
  if (problem) return problem;
  const ip = v['ipAddress'];
  if (ip !== undefined && (typeof ip !== 'string' || !isIpAddress(ip))) return bad('signInConditions.ipAddress must be one IPv4 or IPv6 address');
  const country = v['country'];
  if (country !== undefined && (typeof country !== 'string' || !/^[A-Za-z]{2}$/.test(country))) return bad('signInConditions.country must be a two-letter country code');
  if (v['deviceInfo'] !== undefined && !isObj(v['deviceInfo'])) return bad('signInConditions.deviceInfo must be an object');
  const flow = v['authenticationFlow'];
  if (flow !== undefined && (!isObj(flow) || (enumValue(flow, 'transferMethod', TRANSFER, 'signInConditions.authenticationFlow') ?? unknownKey(flow, ['@odata.type', 'transferMethod'], 'signInConditions.authenticationFlow')))) {
    return bad('signInConditions.authenticationFlow must be {"transferMethod": one of none, deviceCodeFlow, authenticationTransfer}');
  }
  return undefined;
}

const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

/** The validated query, or the 400 to answer. */
export function parseWhatIfRequest(body: unknown, evolvable: boolean): WhatIfQuery | EmulatorResponse {
  if (!isObj(body)) return bad('the body must be a JSON object');
  const extra = unknownKey(body, ['signInIdentity', 'signInContext', 'signInConditions', 'appliedPoliciesOnly'], 'the request');
  if (extra) return extra;
  const userId = checkIdentity(body['signInIdentity']);
  if (typeof userId !== 'string') return userId;
  const applications = checkContext(body['signInContext']);
  if (!Array.isArray(applications)) return applications;
  const refused = checkConditions(body['signInConditions'], evolvable);
  if (refused) return refused;
  const c = body['signInConditions'] as Json;
  const only = body['appliedPoliciesOnly'];
  if (only !== undefined && typeof only !== 'boolean') return bad('appliedPoliciesOnly must be a boolean');
  return {
    userId,
    applications,
    ipAddress: typeof c['ipAddress'] === 'string' ? c['ipAddress'] : undefined,
    country: typeof c['country'] === 'string' ? c['country'].toUpperCase() : undefined,
    clientAppType: str(c['clientAppType'], 'all'),
    devicePlatform: str(c['devicePlatform'], 'all'),
    signInRiskLevel: str(c['signInRiskLevel'], 'none'),
    userRiskLevel: str(c['userRiskLevel'], 'none'),
    appliedPoliciesOnly: only === true,
  };
}
