/**
 * The Graph emulator over raw HTTPS (got, trusting the emulator's CA file): token side, auth,
 * throttling, limits (NL7, P9), controls and the request log.
 */
import { readFileSync } from 'node:fs';
import got, { type OptionsInit } from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { NL1_TEXT } from '../../src/emulators/graph/named-location-rules.ts';
import { WRITER } from '../fixtures/graph/graph-target.ts';

let emu: GraphEmulator;
const NL = '/v1.0/identity/conditionalAccess/namedLocations';
const POL = '/v1.0/identity/conditionalAccess/policies';

function http(path: string, options: OptionsInit = {}) {
  return got(`${emu.graphBaseUrl}${path}`, {
    throwHttpErrors: false,
    retry: { limit: 0 },
    https: { certificateAuthority: readFileSync(emu.caFile, 'utf8') },
    ...options,
  } as OptionsInit & { isStream?: false; resolveBodyOnly?: false; responseType?: 'text' });
}

async function token(form: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await http(`/${WRITER.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: WRITER.clientSecret!, scope: `${emu.graphBaseUrl}/.default`, ...form },
  });
  return { status: res.statusCode, body: JSON.parse(String(res.body)) };
}

async function call(method: string, path: string, body?: unknown, bearer?: string) {
  const auth = bearer ?? (await token()).body.access_token;
  const res = await http(path, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = String(res.body);
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const location = (name: string) => ({
  '@odata.type': '#microsoft.graph.ipNamedLocation',
  displayName: name,
  ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.0/24' }],
});

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
});

describe('token side', () => {
  it('serves the OpenID configuration MSAL needs', async () => {
    const res = await http(`/${WRITER.tenantId}/v2.0/.well-known/openid-configuration`);
    const doc = JSON.parse(String(res.body));
    expect(doc).toMatchObject({ token_endpoint: `${emu.authorityHost}/${WRITER.tenantId}/oauth2/v2.0/token`, issuer: `${emu.authorityHost}/${WRITER.tenantId}/v2.0` });
    expect(doc.jwks_uri).toBeTruthy();
    expect(doc.authorization_endpoint).toBeTruthy();
  });
  it('issues unsigned JWTs with tid, appid, roles and exp', async () => {
    const { status, body } = await token();
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ tid: WRITER.tenantId, appid: WRITER.clientId, roles: WRITER.roles });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  });
  it('refuses a bad secret, a bad scope and an unknown tenant with Entra-shaped errors', async () => {
    expect(await token({ client_secret: 'nope' })).toMatchObject({ status: 401, body: { error: 'invalid_client', error_codes: [7000215] } });
    expect(await token({ scope: 'https://graph.microsoft.com/User.Read' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const res = await http('/0e0e0e0e-0000-4000-8000-000000000000/oauth2/v2.0/token', { method: 'POST', form: { grant_type: 'client_credentials' } });
    expect(res.statusCode).toBe(400);
    // The log keeps no secret.
    expect(JSON.stringify(emu.requests({ kind: 'token' }))).not.toContain(WRITER.clientSecret);
  });
});

describe('Graph endpoints', () => {
  it('401 without a token, 404 for an unknown id, 400 without JSON content type', async () => {
    const none = await http(NL);
    expect(none.statusCode).toBe(401);
    expect(JSON.parse(String(none.body)).error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
    const missing = await call('GET', `${NL}/3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'ResourceNotFound' } } });
    expect(missing.body.error.innerError).toHaveProperty('request-id');
    expect(missing.headers['request-id']).toBeTruthy();
    const t = (await token()).body.access_token;
    const res = await http(NL, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'text/plain' }, body: JSON.stringify(location('x')) });
    expect(res.statusCode).toBe(400);
    expect((await call('POST', NL, '{not json')).status).toBe(400);
  });
  it('NL1 over HTTP: PATCH without @odata.type gets the 1042 text', async () => {
    const created = await call('POST', NL, location('A'));
    expect(created.status).toBe(201);
    expect(created.body['@odata.context']).toContain('$metadata#');
    const patched = await call('PATCH', `${NL}/${created.body.id}`, { displayName: 'B' });
    expect(patched).toMatchObject({ status: 400, body: { error: { code: 'BadRequest', message: NL1_TEXT } } });
  });
  it('PUT is refused unless allowPut; then it replaces the object', async () => {
    const created = await call('POST', NL, location('A'));
    expect((await call('PUT', `${NL}/${created.body.id}`, location('B'))).status).toBe(405);
    emu.configure({ allowPut: true });
    expect((await call('PUT', `${NL}/${created.body.id}`, location('B'))).status).toBe(204);
    expect(emu.state().namedLocations[0]).toMatchObject({ displayName: 'B' });
  });
  it('NL7 and P9: tenant limits on locations and policies', async () => {
    emu.configure({ maxLocations: 1, maxPolicies: 1 });
    const first = await call('POST', NL, location('one'));
    expect((await call('POST', NL, location('two'))).body.error.message).toMatch(/^EMULATOR: NL7/);
    const policy = {
      displayName: 'P',
      state: 'disabled',
      conditions: { clientAppTypes: ['all'], applications: { includeApplications: ['All'] }, users: { includeUsers: ['None'] }, locations: { includeLocations: [first.body.id] } },
      grantControls: { operator: 'OR', builtInControls: ['block'] },
    };
    expect((await call('POST', POL, policy)).status).toBe(201);
    expect((await call('POST', POL, policy)).body.error.message).toMatch(/^EMULATOR: P9/);
  });
  it('evolvable members read as unknownFutureValue without the Prefer header', async () => {
    const loc = await call('POST', NL, location('L'));
    const t = (await token()).body.access_token;
    const body = {
      displayName: 'P',
      state: 'disabled',
      conditions: { clientAppTypes: ['all'], applications: { includeApplications: ['All'] }, users: { includeUsers: ['None'] }, platforms: { includePlatforms: ['linux'] }, locations: { includeLocations: [loc.body.id] } },
      grantControls: { operator: 'OR', builtInControls: ['block'] },
    };
    const res = await http(POL, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', prefer: 'include-unknown-enum-members' }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(201);
    const plain = await call('GET', `${POL}/${JSON.parse(String(res.body)).id}`);
    expect(plain.body.conditions.platforms.includePlatforms).toEqual(['unknownFutureValue']);
  });
  it('$filter on displayName over HTTP', async () => {
    await call('POST', NL, location("O'Brien"));
    await call('POST', NL, location('Other'));
    const res = await call('GET', `${NL}?$filter=${encodeURIComponent("displayName eq 'O''Brien'")}`);
    expect(res.body.value.map((l: any) => l.displayName)).toEqual(["O'Brien"]);
  });
});

describe('throttling', () => {
  it('429 without Retry-After by default, with it when configured; tenant-wide', async () => {
    emu.configure({ throttle: { requestsPerSecond: 1, burst: 1 } });
    const t = (await token()).body.access_token;
    expect((await call('GET', NL, undefined, t)).status).toBe(200);
    const throttled = await call('GET', POL, undefined, t);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBeUndefined();
    expect(throttled.body.error.code).toBe('TooManyRequests');
    emu.configure({ throttle: { retryAfterSeconds: 3 } });
    const again = await call('GET', POL, undefined, t);
    expect(again).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
  });
});

describe('controls', () => {
  it('config, faults, seed, state, requests and reset work over HTTP', async () => {
    const cfg = JSON.parse(String((await http('/__emulator/config', { method: 'PATCH', json: { replicationDelayMs: 250, pageSize: 7 } })).body));
    expect(cfg.config).toMatchObject({ replicationDelayMs: 250, pageSize: 7 });
    const faults = JSON.parse(String((await http('/__emulator/faults', { method: 'POST', json: { faults: [{ method: 'GET', status: 504 }] } })).body));
    expect(faults.faults).toHaveLength(1);
    expect((await call('GET', NL)).status).toBe(504);
    const seeded = JSON.parse(String((await http('/__emulator/seed', { method: 'POST', json: { namedLocations: [location('Seeded')] } })).body));
    expect(seeded.namedLocations).toHaveLength(1);
    const state = JSON.parse(String((await http('/__emulator/state')).body));
    expect(state.namedLocations[0]).toMatchObject({ displayName: 'Seeded', id: seeded.namedLocations[0] });
    const log = JSON.parse(String((await http('/__emulator/requests?kind=graph')).body)).requests;
    expect(log[0]).toMatchObject({ method: 'GET', path: NL, status: 504, fault: 'status 504', tenantId: WRITER.tenantId });
    expect(typeof log[0].time).toBe('string');
    expect((await http('/__emulator/reset', { method: 'POST' })).statusCode).toBe(204);
    expect(emu.state().namedLocations).toEqual([]);
    expect(emu.config().replicationDelayMs).toBe(0);
    expect(emu.requests()).toEqual([]);
  });
});
