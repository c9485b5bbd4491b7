import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphAuthError } from '../../src/graph/errors/graph-auth-error.ts';
import { graphScope, isMicrosoftAuthority, readTokenClaims, trustedCas } from '../../src/graph/graph-credential.ts';

const jwt = (claims: object) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('graph credential helpers', () => {
  it('reads tid, appid and roles from a JWT payload', () => {
    expect(readTokenClaims(jwt({ tid: 't1', appid: 'a1', roles: ['Policy.Read.All'] }))).toMatchObject({ tid: 't1', appid: 'a1', roles: ['Policy.Read.All'] });
  });
  it('refuses tokens that are not JWTs', () => {
    expect(() => readTokenClaims('opaque-token')).toThrow(GraphAuthError);
    expect(() => readTokenClaims('a.bm90LWpzb24.c')).toThrow(/not readable JSON/);
  });
  it('knows Microsoft authorities (instance discovery allowed only for them)', () => {
    expect(isMicrosoftAuthority('https://login.microsoftonline.com')).toBe(true);
    expect(isMicrosoftAuthority('https://login.microsoftonline.us/')).toBe(true);
    expect(isMicrosoftAuthority('https://login.chinacloudapi.cn')).toBe(true);
    expect(isMicrosoftAuthority('https://127.0.0.1:8444')).toBe(false);
  });
  it('builds the scope from the Graph base URL', () => {
    expect(graphScope('https://graph.microsoft.com/')).toBe('https://graph.microsoft.com/.default');
    expect(graphScope('https://127.0.0.1:8444')).toBe('https://127.0.0.1:8444/.default');
  });
  it('adds caFile to the system roots and names a bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'g5-ca-'));
    writeFileSync(join(dir, 'ok.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'bad.pem'), 'hello');
    expect(trustedCas(undefined)).toBeUndefined();
    expect(trustedCas(join(dir, 'ok.pem'))?.at(-1)).toContain('BEGIN CERTIFICATE');
    expect(() => trustedCas(join(dir, 'bad.pem'))).toThrow(/holds no PEM certificate/);
    expect(() => trustedCas(join(dir, 'missing.pem'))).toThrow(/cannot read tls.caFile/);
  });
});
