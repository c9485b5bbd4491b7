/**
 * Authentication for Graph: @azure/identity client credentials.
 *
 * - `ClientCertificateCredential` when the target has `certificatePath` (PEM with key and certificate),
 *   else `ClientSecretCredential`. Tokens are cached by the credential (MSAL, in process).
 * - Authority: the target's `cloud.authorityHost` (public or national cloud, or the emulator).
 *   Instance discovery goes to login.microsoftonline.com; it is disabled whenever the authority host is
 *   not one of Microsoft's, so a private authority (the emulator) never makes a request to the internet.
 * - TLS: `tls.caFile` is trusted in addition to the system roots. (`tls.verify: false` is not offered
 *   for the authority: @azure/identity has no such switch; use `caFile`.)
 * - Scope: `{graphBaseUrl}/.default`.
 * - `readTokenClaims` decodes the JWT payload (no signature check: the token is only read for its
 *   `tid`, the wrong-tenant guard). The token itself is registered as a secret and never logged.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import type { TargetConfig } from '../config/schema.ts';
import { GraphAuthError } from './errors/graph-auth-error.ts';

export type { TokenCredential };

/** Microsoft's own authority hosts (public, US Gov, China); instance discovery is allowed for these. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

export function isMicrosoftAuthority(authorityHost: string): boolean {
  return MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
}

export function graphScope(graphBaseUrl: string): string {
  return `${graphBaseUrl.replace(/\/+$/, '')}/.default`;
}

/** The CA list to trust: system roots plus the PEM in `caFile`; undefined when no caFile. */
export function trustedCas(caFile: string | undefined): string[] | undefined {
  if (!caFile) return undefined;
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (e) {
    throw new GraphAuthError(`cannot read tls.caFile ${caFile}: ${(e as Error).message}`, { cause: e });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new GraphAuthError(`tls.caFile ${caFile} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
  }
  return [...rootCertificates, pem];
}

export function createGraphCredential(target: TargetConfig): TokenCredential {
  const ca = trustedCas(target.tls.caFile);
  const options = {
    authorityHost: target.cloud.authorityHost,
    disableInstanceDiscovery: !isMicrosoftAuthority(target.cloud.authorityHost),
    ...(ca ? { tlsOptions: { ca } } : {}),
  };
  if (target.certificatePath) {
    return new ClientCertificateCredential(target.tenantId, target.clientId, { certificatePath: target.certificatePath }, options);
  }
  if (!target.clientSecret) {
    throw new GraphAuthError(`target "${target.name}": expected clientSecret or certificatePath`);
  }
  return new ClientSecretCredential(target.tenantId, target.clientId, target.clientSecret, options);
}

export interface TokenClaims {
  tid?: string;
  appid?: string;
  roles?: string[];
  exp?: number;
  [claim: string]: unknown;
}

/** Decode the payload of a JWT access token. Throws GraphAuthError when it is not a JWT. */
export function readTokenClaims(token: string): TokenClaims {
  const parts = token.split('.');
  const payload = parts[1];
  if (parts.length !== 3 || !payload) throw new GraphAuthError('the access token is not a JWT; cannot read its tenant (tid)');
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('payload is not an object');
    return claims as TokenClaims;
  } catch (e) {
    throw new GraphAuthError(`the access token payload is not readable JSON: ${(e as Error).message}`, { cause: e });
  }
}
