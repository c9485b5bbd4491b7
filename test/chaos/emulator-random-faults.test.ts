/**
 * Seeded random fault mode of both emulators (used by the chaos suite): configured through the
 * programmatic API and over HTTP (`/__emulator/faults`), reproducible for a seed, rates close to the
 * asked probabilities, scripted faults first, bad configurations refused with a clear message.
 */
import { readFileSync } from 'node:fs';
import got, { type OptionsInit } from 'got';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { RandomFaults, mulberry32 } from '../../src/emulators/random-faults.ts';
import { WRITER } from '../fixtures/graph/graph-target.ts';

const NL = '/v1.0/identity/conditionalAccess/namedLocations';
let graph: GraphEmulator;
let tq: ThreatQEmulator;
let bearer = '';

function graphHttp(path: string, options: OptionsInit = {}) {
  return got(`${graph.graphBaseUrl}${path}`, {
    throwHttpErrors: false,
    retry: { limit: 0 },
    https: { certificateAuthority: readFileSync(graph.caFile, 'utf8') },
    ...options,
  } as OptionsInit & { isStream?: false; resolveBodyOnly?: false; responseType?: 'text' });
}

async function graphGet(): Promise<{ status: number; retryAfter: string | undefined }> {
  const res = await graphHttp(NL, { headers: { authorization: `Bearer ${bearer}` } });
  const ra = res.headers['retry-after'];
  return { status: res.statusCode, retryAfter: Array.isArray(ra) ? ra[0] : ra };
}

beforeAll(async () => {
  graph = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
  tq = await startThreatQEmulator({ generate: { count: 10, seed: 1 } });
  const res = await graphHttp(`/${WRITER.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: WRITER.clientSecret ?? '', scope: `${graph.graphBaseUrl}/.default` },
  });
  bearer = (JSON.parse(String(res.body)) as { access_token: string }).access_token;
});
afterAll(async () => {
  await graph.close();
  await tq.close();
});

describe('RandomFaults', () => {
  it('is reproducible for a seed and close to the asked rates', () => {
    const a = new RandomFaults({ p429: 0.3, p503: 0.05, seed: 42 });
    const b = new RandomFaults({ p429: 0.3, p503: 0.05, seed: 42 });
    const seqA = Array.from({ length: 4000 }, () => a.roll('GET', '/x'));
    const seqB = Array.from({ length: 4000 }, () => b.roll('GET', '/x'));
    expect(seqA).toEqual(seqB);
    const n429 = seqA.filter((s) => s === 429).length;
    const n503 = seqA.filter((s) => s === 503).length;
    expect(n429 / 4000).toBeGreaterThan(0.27);
    expect(n429 / 4000).toBeLessThan(0.33);
    expect(n503 / 4000).toBeGreaterThan(0.035);
    expect(n503 / 4000).toBeLessThan(0.065);
    expect(a.state()).toMatchObject({ rolls: 4000, fired: { '429': n429, '503': n503 } });
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });

  it('honours the path and method filters', () => {
    const r = new RandomFaults({ p500: 1, path: '/policies', method: 'PATCH' });
    expect(r.roll('GET', '/policies')).toBeUndefined();
    expect(r.roll('PATCH', '/namedLocations/1')).toBeUndefined();
    expect(r.roll('patch', '/x/policies/1')).toBe(500);
    expect(r.state().rolls).toBe(1);
  });

  it('refuses bad configurations naming the field', () => {
    expect(() => new RandomFaults({ p429: 1.5 })).toThrow(/p429 must be a number in 0-1/);
    expect(() => new RandomFaults({ p429: 0.7, p503: 0.5 })).toThrow(/add up to 1\.2/);
    expect(() => new RandomFaults({ seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => new RandomFaults({ p42: 0.1 } as never)).toThrow(/unknown field "p42"/);
  });
});

describe('Graph emulator random faults', () => {
  it('programmatic: scripted faults first, then random ones with the configured Retry-After', async () => {
    graph.reset();
    graph.configure({ throttle: { requestsPerSecond: 0 } });
    graph.addFaults([{ status: 504, times: 1 }]);
    graph.setRandomFaults({ p429: 1, retryAfterSeconds: 2, seed: 3 });
    expect((await graphGet()).status).toBe(504);
    expect(await graphGet()).toEqual({ status: 429, retryAfter: '2' });
    expect(graph.randomFaults()).toMatchObject({ rolls: 1, fired: { '429': 1 } });
    graph.setRandomFaults(undefined);
    expect((await graphGet()).status).toBe(200);
  });

  it('over HTTP: POST {random}, GET shows it, DELETE stops it; a bad config is a 400', async () => {
    graph.reset();
    graph.configure({ throttle: { requestsPerSecond: 0 } });
    const post = await graphHttp('/__emulator/faults', { method: 'POST', json: { random: { p503: 1, seed: 9 } } });
    expect(post.statusCode).toBe(200);
    expect((await graphGet()).status).toBe(503);
    const listed = JSON.parse(String((await graphHttp('/__emulator/faults')).body)) as { random: { fired: Record<string, number> } };
    expect(listed.random.fired).toEqual({ '503': 1 });
    expect((await graphHttp('/__emulator/faults', { method: 'DELETE' })).statusCode).toBe(204);
    expect((await graphGet()).status).toBe(200);
    const badPost = await graphHttp('/__emulator/faults', { method: 'POST', json: { random: { p429: 2 } } });
    expect(badPost.statusCode).toBe(400);
    expect(String(badPost.body)).toContain('p429 must be a number in 0-1');
    const log = graph.requests({ kind: 'graph' });
    expect(log.filter((e) => e.fault === 'status 503')).toHaveLength(1);
  });
});

describe('ThreatQ emulator random faults', () => {
  const base = () => `${tq.url}/api/indicator/types`;
  it('programmatic and over HTTP, reproducible for a seed, token endpoint included', async () => {
    tq.reset();
    tq.setRandomFaults({ p429: 0.5, p500: 0.5, seed: 5, retryAfterSeconds: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await got(base(), { throwHttpErrors: false, retry: { limit: 0 } })).statusCode);
    expect(statuses.every((s) => s === 429 || s === 500)).toBe(true);
    const again = new RandomFaults({ p429: 0.5, p500: 0.5, seed: 5 });
    expect(statuses).toEqual(Array.from({ length: 6 }, () => again.roll('GET', '/api/indicator/types')));
    expect(tq.randomFaults()).toMatchObject({ rolls: 6 });

    const ctl = (method: 'GET' | 'POST' | 'DELETE', json?: unknown) =>
      got(`${tq.url}/__emulator/faults`, { method, throwHttpErrors: false, retry: { limit: 0 }, ...(json === undefined ? {} : { json }) });
    expect((await ctl('POST', { random: null })).statusCode).toBe(200);
    expect(tq.randomFaults()).toBeUndefined();
    const started = await ctl('POST', { random: { p503: 1, path: '/api/token' } });
    expect(JSON.parse(String(started.body))).toMatchObject({ ok: true, added: 0, random: { config: { p503: 1 } } });
    expect((await got.post(`${tq.url}/api/token`, { throwHttpErrors: false, retry: { limit: 0 }, json: {} })).statusCode).toBe(503);
    expect((await ctl('DELETE')).statusCode).toBe(200);
    expect(tq.randomFaults()).toBeUndefined();
    const bad = await ctl('POST', { random: { p500: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(String(bad.body)).toContain('p500 must be a number in 0-1');
  });
});
