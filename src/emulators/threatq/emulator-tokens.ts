/**
 * Access and refresh tokens issued by the ThreatQ emulator. Opaque random strings (`tq_at_…`,
 * `tq_rt_…`) mapped to the principal (user email or OAuth client id) and an expiry. Refresh rotates
 * both tokens. `expireAll` makes every current access token fail with 401 on its next use (refresh
 * tokens stay valid). Expired entries are pruned as new ones are issued. Emulator-only.
 */
import { randomBytes } from 'node:crypto';

export interface TokenGrant {
  principal: string;
  grant: 'password' | 'client_credentials';
}

interface AccessEntry extends TokenGrant {
  expiresAt: number;
}

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export class EmulatorTokens {
  private readonly access = new Map<string, AccessEntry>();
  private readonly refresh = new Map<string, TokenGrant>();
  issuedCount = 0;

  constructor(public ttlSeconds: number) {}

  issue(grant: TokenGrant, now = Date.now()): IssuedTokens {
    if (this.access.size > 10_000) this.prune(now);
    const access_token = `tq_at_${randomBytes(24).toString('hex')}`;
    const refresh_token = `tq_rt_${randomBytes(24).toString('hex')}`;
    this.access.set(access_token, { ...grant, expiresAt: now + this.ttlSeconds * 1000 });
    this.refresh.set(refresh_token, grant);
    this.issuedCount++;
    return { access_token, refresh_token, expires_in: this.ttlSeconds };
  }

  /** The grant behind a valid access token, or undefined (unknown, expired or expired by control). */
  check(token: string, now = Date.now()): TokenGrant | undefined {
    const e = this.access.get(token);
    if (e === undefined) return undefined;
    if (now >= e.expiresAt) {
      this.access.delete(token);
      return undefined;
    }
    return e;
  }

  /** Rotate a refresh token; undefined when unknown. */
  rotate(refreshToken: string, now = Date.now()): IssuedTokens | undefined {
    const g = this.refresh.get(refreshToken);
    if (g === undefined) return undefined;
    this.refresh.delete(refreshToken);
    return this.issue(g, now);
  }

  expireAll(): number {
    const n = this.access.size;
    this.access.clear();
    return n;
  }

  clear(): void {
    this.access.clear();
    this.refresh.clear();
    this.issuedCount = 0;
  }

  private prune(now: number): void {
    for (const [k, v] of this.access) if (now >= v.expiresAt) this.access.delete(k);
    if (this.refresh.size > 50_000) this.refresh.clear();
  }
}
