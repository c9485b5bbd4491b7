/** Pulling collections from the emulator over real HTTP: exactness, filtering, ids-only lookups, errors. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import type { ThreatQClient } from '../../src/threatq/threatq-client.ts';
import { drain, expectedIds, makeClient, makeSource } from '../fixtures/threatq/helpers.ts';

const SEED = fileURLToPath(new URL('../fixtures/threatq/small-seed.json', import.meta.url));
const ALL_TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'] as const;

describe('ThreatQ collection paging (generated data)', () => {
  let emu: ThreatQEmulator;
  let client: ThreatQClient;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: 5000, seed: 7 }, idOffset: 311 });
    client = makeClient(emu, { pageSize: 137 });
  });
  afterAll(async () => {
    client.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  it('returns every qualifying indicator exactly once and nothing else', async () => {
    const id = '6d4c1f0e2b9a8c7d';
    const { pages, indicators } = await drain(makeSource(client, emu, { id }));
    const got = indicators.map((i) => i.id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(expectedIds(emu, id, ALL_TYPES, ['Active']));
    expect(pages.reduce((n, p) => n + p.seen, 0)).toBe(5000);
    expect(pages.every((p) => p.total === 5000)).toBe(true);
    expect(pages.length).toBe(Math.ceil(5000 / 137));
    const filtered: Record<string, number> = {};
    for (const p of pages) for (const [k, v] of Object.entries(p.filtered)) filtered[k] = (filtered[k] ?? 0) + v;
    // Whitelisted IP indicators are ThreatQ's whitelist (neverBlockWhitelisted): taken aside, not filtered.
    expect(Object.keys(filtered).sort()).toEqual(['status:Expired', 'status:Indirect', 'status:Review', 'type:FQDN', 'type:MD5', 'type:URL']);
    const whitelist = pages.flatMap((p) => p.whitelist ?? []);
    expect(whitelist.length).toBeGreaterThan(0);
    expect(whitelist.length).toBe(expectedIds(emu, id, ALL_TYPES, ['Whitelisted']).length);
    expect(pages.reduce((n, p) => n + p.indicators.length + (p.whitelist?.length ?? 0), 0) + Object.values(filtered).reduce((a, b) => a + b, 0)).toBe(5000);
    expect(indicators.every((i) => i.source === 'tq-test' && i.collection === id)).toBe(true);
    // updated_at ascending as requested with sort=updated_at
    const times = indicators.map((i) => i.updatedAt ?? '');
    expect([...times].sort()).toEqual(times);
  });

  it('filters by the configured type and status names with non-default ids', async () => {
    const id = 'a1b2c3d4e5f6';
    const { indicators } = await drain(makeSource(client, emu, { id, types: ['CIDR Block'], statuses: ['Expired', 'Review'] }));
    expect(indicators.length).toBeGreaterThan(0);
    expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, id, ['CIDR Block'], ['Expired', 'Review']));
    expect(new Set(indicators.map((i) => `${i.type}|${i.status}`))).toEqual(new Set(['CIDR Block|Expired', 'CIDR Block|Review']));
    // the emulator's ids are not the usual defaults, so nothing could have matched by a hard-coded id
    const active = emu.context.store.statuses.find((s) => s.name === 'Active');
    expect(active?.id).not.toBe(1);
  });

  it('resolves names through /api/indicator/types and /statuses when objects carry only ids (cached)', async () => {
    emu.configure({ idsOnly: true });
    const id = '6d4c1f0e2b9a8c7d';
    const fresh = makeClient(emu, { pageSize: 1000 });
    try {
      const { indicators } = await drain(makeSource(fresh, emu, { id }));
      expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, id, ALL_TYPES, ['Active']));
      await drain(makeSource(fresh, emu, { id, statuses: ['Expired'] }));
      const lookups = emu.requests().filter((r) => r.path.startsWith('/api/indicator/'));
      expect(lookups.map((r) => r.path).sort()).toEqual(['/api/indicator/statuses', '/api/indicator/types']);
    } finally {
      fresh.close();
    }
  });

  it('normalises the object form of score and the updated_at timestamps', async () => {
    emu.configure({ scoreAsObject: true });
    const { indicators } = await drain(makeSource(client, emu, { id: 'a1b2c3d4e5f6' }));
    const truth = new Map([...emu.indicators()].map((r) => [String(r.id), r]));
    for (const i of indicators.slice(0, 200)) {
      const r = truth.get(i.id);
      expect(i.score).toBe(r?.score ?? null);
      expect(i.updatedAt).toBe(new Date((r?.updatedAt ?? 0) * 1000).toISOString());
    }
  });

  it('stops on a `data: {}` exhausted page', async () => {
    emu.configure({ emptyPageDataAsObject: true });
    const { indicators } = await drain(makeSource(client, emu, { id: 'a1b2c3d4e5f6' }));
    expect(indicators.length).toBe(expectedIds(emu, 'a1b2c3d4e5f6', ALL_TYPES, ['Active']).length);
  });

  it('sends sort=updated_at, the page size and the cursor chain starting at *', async () => {
    await drain(makeSource(client, emu, { id: 'a1b2c3d4e5f6' }));
    // reset() dropped the emulator's tokens: the cached one gets a 401, then one fresh token is used
    const calls = emu.requests().filter((r) => r.path.startsWith('/api/indicators/query/hash/') && r.status === 200);
    expect(calls[0]?.query).toEqual({ sort: 'updated_at', limit: '137', cursorMark: '*' });
    expect(calls.every((c) => c.auth === 'Bearer')).toBe(true);
    expect(emu.requests().filter((r) => r.status === 401).length).toBeLessThanOrEqual(1);
    expect(new Set(calls.map((c) => c.query['cursorMark'])).size).toBe(calls.length);
  });
});

describe('ThreatQ collection paging (fixture)', () => {
  let emu: ThreatQEmulator;
  let client: ThreatQClient;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ seedFile: SEED, idOffset: 5 });
    client = makeClient(emu, { pageSize: 2 });
  });
  afterAll(async () => {
    client.close();
    await emu.close();
  });

  it('keeps exactly the network indicators with the wanted statuses, malformed and reserved values included', async () => {
    const { indicators, pages } = await drain(makeSource(client, emu, { id: 'fixture-all', statuses: ['Active', 'False Positive'] }));
    expect(indicators.map((i) => [i.id, i.value, i.type, i.status, i.score])).toEqual([
      ['101', '203.0.113.10', 'IP Address', 'Active', 7],
      ['102', '2001:db8::1', 'IPv6 Address', 'Active', 5],
      ['103', '198.51.100.0/24', 'CIDR Block', 'Active', null],
      ['109', '192.0.2.46', 'IP Address', 'False Positive', 1],
      ['110', '999.1.2.3', 'IP Address', 'Active', 4],
      ['111', '10.20.30.40', 'IP Address', 'Active', 6],
    ]);
    expect(indicators[0]?.updatedAt).toBe('2024-05-01T09:00:00.000Z');
    expect(pages.map((p) => p.seen)).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('names the instance and collection when the collection does not exist', async () => {
    const err = await drain(makeSource(client, emu, { id: 'no-such-collection' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_THREATQ_NOT_FOUND', retryable: false });
    expect((err as Error).message).toContain('collection no-such-collection on tq-test was not found or is not shared with this API user');
  });

  it('treats an unshared collection as not found, or forbidden when the instance says 403', async () => {
    await expect(drain(makeSource(client, emu, { id: 'fixture-private' }))).rejects.toMatchObject({ code: 'ERR_THREATQ_NOT_FOUND' });
    const err = await drain(makeSource(client, emu, { id: 'fixture-forbidden' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_THREATQ_FORBIDDEN' });
    expect((err as Error).message).toMatch(/collection fixture-forbidden on tq-test: access denied \(HTTP 403.*shared with this API user/);
  });

  it('fails at once on 400 with the server text and no retry', async () => {
    emu.clearRequests();
    const bad = makeClient(emu, { pageSize: 20_000 });
    try {
      const err = await drain(makeSource(bad, emu, { id: 'fixture-all' })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_HTTP' });
      expect((err as Error).message).toContain('The limit must be an integer between 1 and 10000');
      expect(emu.requests().filter((r) => r.status === 400)).toHaveLength(1);
    } finally {
      bad.close();
    }
  });
});

describe('ThreatQ emulator controls over HTTP', () => {
  let emu: ThreatQEmulator;
  let client: ThreatQClient;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ seedFile: SEED });
    client = makeClient(emu, { pageSize: 5 });
  });
  afterAll(async () => {
    client.close();
    await emu.close();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${emu.url}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('mutating an indicator between runs changes what qualifies and moves it to the end of updated_at order', async () => {
    const before = (await drain(makeSource(client, emu, { id: 'fixture-all' }))).indicators.map((i) => i.id);
    expect(before).toContain('101');
    expect((await post('indicators/101', { status: 'Expired' })).status).toBe(200);
    expect((await post('indicators/107', { status: 'Active', updated_at: '2030-01-01 00:00:00' })).status).toBe(200);
    const after = (await drain(makeSource(client, emu, { id: 'fixture-all' }))).indicators;
    expect(after.map((i) => i.id)).not.toContain('101');
    expect(after.at(-1)).toMatchObject({ id: '107', status: 'Active', updatedAt: '2030-01-01T00:00:00.000Z' });
    expect((await post('indicators/999999', { status: 'Active' })).status).toBe(404);
    expect((await post('indicators/102', { status: 'No Such Status' })).body).toEqual({ errors: [expect.stringContaining('unknown indicator status "No Such Status"')] });
  });

  it('seeds, injects faults, reports state and the request log, and resets', async () => {
    expect(
      (
        await post('seed', {
          indicators: [
            { id: 1, value: '198.51.100.1', type: 'IP Address', status: 'Active' },
            { id: 2, value: 'x.example', type: 'FQDN', status: 'Active' },
          ],
          collections: { fresh: {} },
        })
      ).body,
    ).toEqual({ ok: true, indicators: 2 });
    expect((await post('faults', { faults: [{ match: { path: '/api/indicators/query/hash/fresh' }, status: 503, times: 2 }] })).body).toEqual({ ok: true, added: 1 });
    expect((await post('faults', { match: {} })).status).toBe(400);
    const { indicators } = await drain(makeSource(client, emu, { id: 'fresh' }));
    expect(indicators.map((i) => i.value)).toEqual(['198.51.100.1']);
    const log = (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as { data: { path: string; status: number; fault?: boolean }[] };
    expect(log.data.filter((r) => r.fault).map((r) => r.status)).toEqual([503, 503]);
    const state = (await (await fetch(`${emu.url}/__emulator/state`)).json()) as { indicators: number; collections: { id: string; total: number }[] };
    expect(state.indicators).toBe(2);
    expect(state.collections).toEqual([{ id: 'fresh', total: 2, sharedWith: 'everyone' }]);
    expect((await post('tokens/expire', {})).body).toMatchObject({ ok: true });
    expect((await post('reset', {})).body).toEqual({ ok: true });
    expect((await (await fetch(`${emu.url}/__emulator/state`)).json()) as { indicators: number }).toMatchObject({ indicators: 12 });
  });
});
