/**
 * The token side of the Graph emulator, enough for @azure/identity (MSAL) client credentials:
 *
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration`: issuer, authorization, token, jwks and
 *   logout endpoints (MSAL requires the first four). `GET /{tenant}/discovery/v2.0/keys`: no keys.
 * - `POST /{tenant}/oauth2/v2.0/token` (form): `grant_type=client_credentials`, a known `client_id`,
 *   its `client_secret` (or a `client_assertion` JWT whose `sub` is the client id, for apps that
 *   allow certificates; the signature is not checked) and a scope ending in `/.default`.
 *   Answers `{token_type, expires_in, ext_expires_in, access_token}`; the token is an unsigned JWT
 *   (`alg: none`) carrying `tid`, `appid`, `roles`, `aud`, `iat`, `nbf`, `exp`.
 * Errors follow Entra's shape `{error, error_description: "AADSTSnnn: …", error_codes: [n]}`;
 * the AADSTS texts are abbreviated from Microsoft's, not verbatim [I].
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorResponse } from './emulator-http.ts';
import type { EmulatorApp } from './emulator-options.ts';

export function openIdConfiguration(origin: string, tenant: string): EmulatorResponse {
  const base = `${origin}/${tenant}`;
  return {
    status: 200,
    body: {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      tenant_region_scope: 'EU',
    },
  };
}

function tokenError(status: number, error: string, code: number, description: string): EmulatorResponse {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

export function makeUnsignedJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ typ: 'JWT', alg: 'none' })}.${enc(claims)}.`;
}

export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface TokenRequestContext {
  tenant: string;
  form: URLSearchParams;
  basicAuth: { id: string; secret: string } | undefined;
  tenants: ReadonlySet<string>;
  apps: readonly EmulatorApp[];
  lifetimeSeconds: number;
  now: number;
}

export function issueToken(ctx: TokenRequestContext): EmulatorResponse {
  const { form } = ctx;
  if (!ctx.tenants.has(ctx.tenant)) {
    return tokenError(400, 'invalid_request', 90002, `Tenant '${ctx.tenant}' not found. Check to make sure you have the correct tenant ID.`);
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return tokenError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  const clientId = form.get('client_id') ?? ctx.basicAuth?.id ?? '';
  const app = ctx.apps.find((a) => a.tenantId === ctx.tenant && a.clientId === clientId);
  if (!app) {
    return tokenError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory.`);
  }
  const secret = form.get('client_secret') ?? ctx.basicAuth?.secret;
  const assertion = form.get('client_assertion');
  if (secret !== undefined && secret !== null) {
    if (!app.clientSecret || secret !== app.clientSecret) {
      return tokenError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.');
    }
  } else if (assertion) {
    const claims = decodeJwtPayload(assertion);
    if (!app.certificate || claims?.['sub'] !== clientId) {
      return tokenError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
    }
  } else {
    return tokenError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const scope = form.get('scope') ?? '';
  if (!scope.endsWith('/.default')) {
    return tokenError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const iat = Math.floor(ctx.now / 1000);
  const accessToken = makeUnsignedJwt({
    aud: scope.slice(0, -'/.default'.length),
    iss: `https://sts.windows.net/${ctx.tenant}/`,
    iat,
    nbf: iat,
    exp: iat + ctx.lifetimeSeconds,
    appid: app.clientId,
    tid: ctx.tenant,
    roles: [...app.roles],
    oid: randomUUID(),
    uti: randomUUID(),
  });
  return {
    status: 200,
    body: { token_type: 'Bearer', expires_in: ctx.lifetimeSeconds, ext_expires_in: ctx.lifetimeSeconds, access_token: accessToken },
  };
}
