/** ThreatQ tokens against the emulator over real HTTP: both grants, caching, expiry mid-collection, bad credentials. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { captureLogs } from '../../src/observability/logger.ts';
import { drain, expectedIds, makeClient, makeSource, passwordAuth } from '../fixtures/threatq/helpers.ts';

const ID = '6d4c1f0e2b9a8c7d';
const TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'];

describe('ThreatQ authentication', () => {
  let emu: ThreatQEmulator;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: 2000 } });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('client_credentials: HTTP Basic + form grant, one token reused for every page, Bearer with a capital B', async () => {
    emu.configure({ lowercaseTokenType: true });
    const client = makeClient(emu, { pageSize: 100 });
    try {
      const { indicators } = await drain(makeSource(client, emu, { id: ID }));
      expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
      const log = emu.requests();
      const tokenCalls = log.filter((r) => r.path === '/api/token');
      expect(tokenCalls).toMatchObject([{ method: 'POST', auth: 'Basic', grant: 'client_credentials', status: 200 }]);
      const data = log.filter((r) => r.path !== '/api/token');
      expect(data).toHaveLength(21); // 20 full pages, then the empty one that ends the cursor chain
      expect(data.every((r) => r.auth === 'Bearer' && r.status === 200)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('password grant: email, password and client_id in a JSON body', async () => {
    const client = makeClient(emu, { auth: passwordAuth(emu), pageSize: 500 });
    try {
      const { indicators } = await drain(makeSource(client, emu, { id: ID }));
      expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
      expect(emu.requests().filter((r) => r.path === '/api/token')).toMatchObject([{ auth: 'none', grant: 'password', status: 200 }]);
    } finally {
      client.close();
    }
  });

  it('a token expiring in the middle of a collection: re-authenticates once and the pull stays exact', async () => {
    const client = makeClient(emu, { pageSize: 100 });
    try {
      const seen: string[] = [];
      let page = 0;
      for await (const p of makeSource(client, emu, { id: ID }).pages()) {
        seen.push(...p.indicators.map((i) => i.id));
        if (++page === 7) expect(emu.expireTokens()).toBe(1);
      }
      expect(seen.sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
      const log = emu.requests();
      expect(log.filter((r) => r.path === '/api/token')).toHaveLength(2);
      expect(log.filter((r) => r.status === 401)).toHaveLength(1);
      expect(client.tokensIssued).toBe(2);
    } finally {
      client.close();
    }
  });

  it('short-lived tokens are renewed before they run out (expires_in minus a margin)', async () => {
    emu.configure({ tokenTtlSeconds: 1 });
    const client = makeClient(emu, { pageSize: 400 });
    try {
      let page = 0;
      for await (const _ of makeSource(client, emu, { id: ID }).pages()) {
        if (++page === 2) await new Promise((r) => setTimeout(r, 1000));
      }
      expect(emu.requests().filter((r) => r.status === 401)).toHaveLength(0);
      expect(client.tokensIssued).toBeGreaterThanOrEqual(2);
    } finally {
      client.close();
    }
  });

  it('bad client credentials: ERR_THREATQ_AUTH naming the instance, the grant and the keys to check, no secret', async () => {
    const logs = captureLogs();
    const client = makeClient(emu, { auth: { grant: 'client_credentials', clientId: 'emulator-oauth-client', clientSecret: 'wrong-secret-value' } });
    try {
      const err = await drain(makeSource(client, emu, { id: ID })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_AUTH', retryable: false });
      const msg = (err as Error).message;
      expect(msg).toContain('ThreatQ instance tq-test: the client_credentials grant was refused (Client authentication failed) (HTTP 401 on POST /api/token)');
      expect(msg).toContain('Check auth.clientId and auth.clientSecret');
      expect(msg + JSON.stringify(err) + logs.text()).not.toContain('wrong-secret-value');
      expect(emu.requests().filter((r) => r.path === '/api/token')).toHaveLength(1);
    } finally {
      logs.stop();
      client.close();
    }
  });

  it('bad user password: ERR_THREATQ_AUTH for the password grant', async () => {
    const client = makeClient(emu, { auth: { ...passwordAuth(emu), password: 'not-the-password' } });
    try {
      const err = await drain(makeSource(client, emu, { id: ID })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_AUTH' });
      expect((err as Error).message).toContain('the password grant was refused (The user credentials were incorrect.) (HTTP 400 on POST /api/token)');
      expect((err as Error).message).toContain('Check auth.email, auth.password and auth.clientId');
      expect((err as Error).message).not.toContain('not-the-password');
    } finally {
      client.close();
    }
  });

  it('a token refused right after being issued fails with ERR_THREATQ_AUTH after exactly one re-authentication', async () => {
    const client = makeClient(emu);
    try {
      // every data call answers 401 (the emulator forgets tokens as soon as they are issued)
      emu.addFault({ match: { method: 'GET', path: '/api/indicators' }, status: 401, times: 10 });
      const err = await drain(makeSource(client, emu, { id: ID })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_AUTH' });
      expect((err as Error).message).toContain('the API refused a token it had just issued');
      expect(emu.requests().filter((r) => r.path === '/api/token')).toHaveLength(2);
    } finally {
      client.close();
    }
  });

  it('the emulator rotates refresh tokens and rejects a lower-case bearer scheme', async () => {
    const base = `${emu.url}/api`;
    const basic = Buffer.from('emulator-oauth-client:emulator-oauth-secret').toString('base64');
    const first = (await (await fetch(`${base}/token`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).json()) as Record<string, string>;
    const refreshed = await fetch(`${base}/token?grant_type=refresh_token&refresh_token=${first['refresh_token']}`, { method: 'POST' });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Record<string, string>;
    expect(second['access_token']).not.toBe(first['access_token']);
    const reused = await fetch(`${base}/token?grant_type=refresh_token&refresh_token=${first['refresh_token']}`, { method: 'POST' });
    expect(reused.status).toBe(400);
    const lower = await fetch(`${base}/indicator/types`, { headers: { authorization: `bearer ${second['access_token']}` } });
    expect(lower.status).toBe(401);
    expect(await lower.json()).toEqual({ errors: ['Unauthenticated.'] });
    const upper = await fetch(`${base}/indicator/types`, { headers: { authorization: `Bearer ${second['access_token']}` } });
    expect(upper.status).toBe(200);
  });
});
