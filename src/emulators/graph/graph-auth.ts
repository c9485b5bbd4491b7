/**
 * Bearer-token checks on the emulated Graph endpoints (graph-api.md §9.1, §4):
 * missing token → 401 `InvalidAuthenticationToken` "Access token is empty."; unreadable, expired or
 * for an unknown tenant/app → 401 `InvalidAuthenticationToken` [I texts]; reads need one of
 * Policy.Read.All, Policy.Read.ConditionalAccess, Policy.ReadWrite.ConditionalAccess; writes need
 * Policy.Read.All and Policy.ReadWrite.ConditionalAccess → else 403 `AccessDenied` (Microsoft's text).
 */
import { graphError, type EmulatorResponse } from './emulator-http.ts';
import { ROLE_POLICY_READ_ALL, ROLE_POLICY_READ_CA, ROLE_POLICY_READWRITE_CA, type EmulatorApp } from './emulator-options.ts';
import { decodeJwtPayload } from './token-endpoints.ts';

export interface Caller {
  tenantId: string;
  clientId: string;
  roles: string[];
}

const unauthorized = (message: string): EmulatorResponse => graphError(401, 'InvalidAuthenticationToken', message);

export function authenticate(
  authorization: string | undefined,
  tenants: ReadonlySet<string>,
  apps: readonly EmulatorApp[],
  now: number,
): Caller | EmulatorResponse {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m?.[1]) return unauthorized('Access token is empty.');
  const claims = decodeJwtPayload(m[1]);
  if (!claims) return unauthorized('IDX14100: JWT is not well formed.');
  const tid = claims['tid'];
  const appid = claims['appid'];
  const exp = claims['exp'];
  if (typeof exp !== 'number' || exp * 1000 <= now) return unauthorized('Lifetime validation failed, the token is expired.');
  if (typeof tid !== 'string' || !tenants.has(tid)) return unauthorized('Access token validation failure. Invalid tenant.');
  if (typeof appid !== 'string' || !apps.some((a) => a.tenantId === tid && a.clientId === appid)) {
    return unauthorized('Access token validation failure. Unknown application.');
  }
  const roles = Array.isArray(claims['roles']) ? claims['roles'].filter((r): r is string => typeof r === 'string') : [];
  return { tenantId: tid, clientId: appid, roles };
}

export function authorize(caller: Caller, write: boolean): EmulatorResponse | undefined {
  const has = (r: string): boolean => caller.roles.includes(r);
  const ok = write
    ? has(ROLE_POLICY_READ_ALL) && has(ROLE_POLICY_READWRITE_CA)
    : has(ROLE_POLICY_READ_ALL) || has(ROLE_POLICY_READ_CA) || has(ROLE_POLICY_READWRITE_CA);
  if (ok) return undefined;
  return graphError(403, 'AccessDenied', 'You cannot perform the requested operation, required scopes are missing in the token.');
}
