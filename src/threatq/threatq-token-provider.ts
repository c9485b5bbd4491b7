/**
 * ThreatQ access tokens: `POST /api/token` (reference §1), cached per client instance.
 *
 * - client_credentials: HTTP Basic `clientId:clientSecret`, form body `grant_type=client_credentials`.
 * - password: JSON body `{email, password, grant_type: "password", client_id}` (client_id is the user's
 *   "API Credentials - Client ID" from My Account).
 * - The token is reused until `expires_in` minus a margin of min(60 s, 10 % of the lifetime), so short
 *   lifetimes still leave most of their life usable. A missing `expires_in` is taken as 30 minutes (the
 *   vendor SDK's assumption). Concurrent callers share one in-flight request.
 * - On expiry (or a 401 reported by the client through `invalidate`) the original grant is run again:
 *   every known client does so; the refresh_token grant adds nothing for a service that holds the
 *   credentials anyway.
 * - 400/401/403 from the token endpoint → ERR_THREATQ_AUTH naming the grant and the fields to check;
 *   3xx → ERR_THREATQ_AUTH (wrong URL); 429/5xx are retried by the transport.
 * Credentials and tokens are registered as secrets so that no log line or error can show them.
 */
import { registerSecret } from '../observability/secrets.ts';
import type { ThreatQSourceConfig } from '../config/schema.ts';
import { serverMessage } from './server-message.ts';
import { ThreatQAuthError } from './errors/threatq-auth-error.ts';
import { ThreatQHttpError } from './errors/threatq-http-error.ts';
import { ThreatQResponseError } from './errors/threatq-response-error.ts';
import type { ThreatQTransport } from './threatq-transport.ts';
import type { ThreatQTokenResponse } from './threatq-types.ts';

export type ThreatQAuth = ThreatQSourceConfig['auth'];

const DEFAULT_LIFETIME_S = 1800;

interface CachedToken {
  value: string;
  refreshAt: number;
}

export class ThreatQTokenProvider {
  private cached: CachedToken | undefined;
  private inflight: Promise<string> | undefined;
  /** Number of successful token requests (observability and tests). */
  issued = 0;

  constructor(
    private readonly transport: ThreatQTransport,
    private readonly auth: ThreatQAuth,
    private readonly now: () => number = Date.now,
  ) {
    registerSecret(auth.clientId);
    if (auth.grant === 'client_credentials') registerSecret(auth.clientSecret);
    else registerSecret(auth.password);
  }

  /** A valid access token, from the cache when still fresh. */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value;
    this.inflight ??= this.request(signal).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forget `token` (the API refused it); the next call authenticates again. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async request(signal: AbortSignal | undefined): Promise<string> {
    const instance = this.transport.instance;
    const ctx = { instance };
    const base = { method: 'POST' as const, path: '/token', ctx, signal };
    const res =
      this.auth.grant === 'client_credentials'
        ? await this.transport.send({
            ...base,
            headers: {
              accept: 'application/json',
              authorization: `Basic ${Buffer.from(`${this.auth.clientId}:${this.auth.clientSecret}`).toString('base64')}`,
            },
            form: { grant_type: 'client_credentials' },
          })
        : await this.transport.send({
            ...base,
            headers: { accept: 'application/json' },
            json: { email: this.auth.email, password: this.auth.password, grant_type: 'password', client_id: this.auth.clientId },
          });
    const failCtx = { instance, status: res.status, request: 'POST /api/token' };
    const hint =
      this.auth.grant === 'client_credentials'
        ? 'Check auth.clientId and auth.clientSecret (OAuth API credentials made with the ThreatQ CLI).'
        : 'Check auth.email, auth.password and auth.clientId (the "API Credentials - Client ID" from the user\'s My Account page).';
    if (res.status >= 300 && res.status < 400) {
      throw new ThreatQAuthError(failCtx, 'the token endpoint answered with a redirect', 'Check the instance URL: it must be the ThreatQ host itself (with or without /api), not a login page.');
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const said = serverMessage(res.body);
      throw new ThreatQAuthError(failCtx, `the ${this.auth.grant} grant was refused${said ? ` (${said})` : ''}`, hint);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new ThreatQHttpError(failCtx, serverMessage(res.body), 'Check the instance URL (with or without /api) and that the ThreatQ API is enabled.');
    }
    let body: ThreatQTokenResponse;
    try {
      body = JSON.parse(res.body) as ThreatQTokenResponse;
    } catch (e) {
      throw new ThreatQResponseError(failCtx, 'the token response is not JSON', { cause: e });
    }
    if (typeof body !== 'object' || body === null || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ThreatQResponseError(failCtx, 'the token response has no access_token');
    }
    registerSecret(body.access_token);
    if (typeof body.refresh_token === 'string') registerSecret(body.refresh_token);
    const lifetime = Number(body.expires_in);
    const lifetimeMs = (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : DEFAULT_LIFETIME_S) * 1000;
    const margin = Math.min(60_000, lifetimeMs / 10);
    this.cached = { value: body.access_token, refreshAt: this.now() + lifetimeMs - margin };
    this.issued++;
    return body.access_token;
  }
}
