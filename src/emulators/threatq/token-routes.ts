/**
 * Emulated `POST /api/token` (reference §9.1): `grant_type` from the query string or the body (JSON or
 * form). password: `email`, `password`, `client_id` (query or body) must match a seeded user, else 400
 * invalid_grant. client_credentials: HTTP Basic `client_id:client_secret` must match a seeded client,
 * else 401 invalid_client. refresh_token: a refresh token issued earlier, rotated. Never redirects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './emulator-context.ts';
import { EmulatorHttpError } from './errors/emulator-http-error.ts';
import { parseBody, readBody, sendJson } from './emulator-http.ts';
import type { IssuedTokens } from './emulator-tokens.ts';

const invalid = (status: number, error: string, description: string) =>
  new EmulatorHttpError(status, { error, error_description: description, message: description });

function param(name: string, url: URL, body: Record<string, unknown>): string | undefined {
  const v = body[name] ?? url.searchParams.get(name) ?? undefined;
  return typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v);
}

function basic(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(text.slice(0, colon)), secret: decodeURIComponent(text.slice(colon + 1)) };
}

/** Returns the grant type handled (for the request log). */
export async function handleToken(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<string | undefined> {
  const body = parseBody(await readBody(req), req.headers['content-type']);
  const grant = param('grant_type', url, body);
  ctx.tokens.ttlSeconds = ctx.behaviour.tokenTtlSeconds;
  let issued: IssuedTokens;
  if (grant === 'password') {
    const email = param('email', url, body) ?? param('username', url, body);
    const password = param('password', url, body);
    const clientId = param('client_id', url, body);
    const user = ctx.store.users.find((u) => u.email === email && u.password === password && u.clientId === clientId);
    if (!user) throw invalid(400, 'invalid_grant', 'The user credentials were incorrect.');
    issued = ctx.tokens.issue({ principal: user.email, grant: 'password' });
  } else if (grant === 'client_credentials') {
    const creds = basic(req);
    const client = creds && ctx.store.clients.find((c) => c.clientId === creds.id && c.clientSecret === creds.secret);
    if (!client) throw invalid(401, 'invalid_client', 'Client authentication failed');
    issued = ctx.tokens.issue({ principal: client.clientId, grant: 'client_credentials' });
  } else if (grant === 'refresh_token') {
    const rt = param('refresh_token', url, body);
    const rotated = rt === undefined ? undefined : ctx.tokens.rotate(rt);
    if (!rotated) throw invalid(400, 'invalid_request', 'The refresh token is invalid.');
    issued = rotated;
  } else {
    throw invalid(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
  }
  sendJson(res, 200, { token_type: ctx.behaviour.lowercaseTokenType ? 'bearer' : 'Bearer', ...issued });
  return grant;
}
