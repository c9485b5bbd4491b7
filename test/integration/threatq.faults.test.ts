/** Retries against injected emulator faults: 429 storms, Retry-After, 5xx, slow responses, the retry budget. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { FAST_RETRY, drain, expectedIds, makeClient, makeSource } from '../fixtures/threatq/helpers.ts';

const ID = 'a1b2c3d4e5f6';
const TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'];
const COLLECTION_PATH = `/api/indicators/query/hash/${ID}`;

describe('ThreatQ retries', () => {
  let emu: ThreatQEmulator;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: 3000 } });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('survives a 429 storm on the collection and on the token endpoint, pulling exactly', async () => {
    emu.addFault({ match: { path: '/api/token' }, status: 429, retryAfter: 0, times: 3 });
    emu.addFault({ match: { path: COLLECTION_PATH }, status: 429, retryAfter: 0, times: 6 });
    const client = makeClient(emu, { pageSize: 100 });
    try {
      const seen: string[] = [];
      let page = 0;
      for await (const p of makeSource(client, emu, { id: ID }).pages()) {
        seen.push(...p.indicators.map((i) => i.id));
        // another storm in the middle of the collection
        if (++page === 4) emu.addFault({ match: { path: COLLECTION_PATH }, status: 429, retryAfter: 0, times: 5 });
      }
      expect(seen.sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
      expect(new Set(seen).size).toBe(seen.length);
      const faults = emu.requests().filter((r) => r.fault);
      expect(faults).toHaveLength(14);
      expect(faults.every((r) => r.status === 429)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('honours Retry-After', async () => {
    emu.addFault({ match: { path: COLLECTION_PATH }, status: 429, retryAfter: 1, times: 1 });
    const client = makeClient(emu, { pageSize: 1000 });
    try {
      const started = Date.now();
      await drain(makeSource(client, emu, { id: ID }));
      const log = emu.requests().filter((r) => r.path === COLLECTION_PATH);
      const gap = Date.parse(log[1]?.at ?? '') - Date.parse(log[0]?.at ?? '');
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      client.close();
    }
  });

  it('retries 500, 503 and slow responses (request timeout)', async () => {
    emu.addFault({ match: { path: COLLECTION_PATH }, status: 500, times: 2 });
    emu.addFault({ match: { path: COLLECTION_PATH }, status: 503, times: 1 });
    emu.addFault({ match: { path: COLLECTION_PATH }, delayMs: 1500, times: 1 });
    const client = makeClient(emu, { pageSize: 250, requestTimeoutMs: 500 });
    try {
      const { indicators } = await drain(makeSource(client, emu, { id: ID }));
      expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
    } finally {
      client.close();
    }
  });

  it('gives up with ERR_THREATQ_UNAVAILABLE when the faults outlast the attempts', async () => {
    emu.addFault({ match: { path: COLLECTION_PATH }, status: 503, times: 100 });
    const client = makeClient(emu, { retryPolicy: { ...FAST_RETRY, maxAttempts: 3 } });
    try {
      const err = await drain(makeSource(client, emu, { id: ID })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_UNAVAILABLE', retryable: true, attempts: 3 });
      expect((err as Error).message).toContain(`collection ${ID} on tq-test: gave up after 3 attempt(s) (HTTP 503 on GET ${COLLECTION_PATH})`);
      expect(emu.requests().filter((r) => r.path === COLLECTION_PATH)).toHaveLength(3);
    } finally {
      client.close();
    }
  });

  it('does not sleep past the deadline or a Retry-After longer than allowed', async () => {
    emu.addFault({ match: { path: COLLECTION_PATH }, status: 429, retryAfter: 30, times: 5 });
    const tooLong = makeClient(emu, { retryPolicy: { ...FAST_RETRY, maxRetryAfterMs: 10_000 } });
    const deadline = makeClient(emu, { retryPolicy: { ...FAST_RETRY, deadlineMs: 5000 } });
    try {
      const started = Date.now();
      await expect(drain(makeSource(tooLong, emu, { id: ID }))).rejects.toThrow(/Retry-After 30s, longer than the 10s allowed/);
      await expect(drain(makeSource(deadline, emu, { id: ID }))).rejects.toThrow(/retry deadline of 5s reached/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      tooLong.close();
      deadline.close();
    }
  });

  it('fails fast on a connection refused past the budget, and aborts promptly on the signal', async () => {
    const dead = makeClient(emu, { url: 'http://127.0.0.1:1', retryPolicy: { ...FAST_RETRY, maxAttempts: 2 } });
    await expect(drain(makeSource(dead, emu, { id: ID }))).rejects.toMatchObject({ code: 'ERR_THREATQ_UNAVAILABLE', message: expect.stringContaining('network error ECONNREFUSED') });
    dead.close();
    emu.addFault({ match: { path: COLLECTION_PATH }, delayMs: 5000, times: 1 });
    const client = makeClient(emu);
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 200);
    try {
      await expect(drain({ pages: () => makeSource(client, emu, { id: ID }).pages(ac.signal) })).rejects.toMatchObject({ code: 'ERR_SOURCE_ABORTED' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      client.close();
    }
  });
});
