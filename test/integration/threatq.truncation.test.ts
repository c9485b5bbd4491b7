/**
 * Completeness of a collection read (issue 13, finding 1): ThreatQ answering a page part-way through
 * with HTTP 200 and `data: []` / `null`, without a usable cursor, or with a shrunk `total` must not be
 * taken for the end of the collection. A transient fault is re-requested until it heals and the read
 * is exact; a persistent one fails with ERR_THREATQ_INCOMPLETE naming the collection and the counts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PAGE_FAULT_KINDS, type PageFaultKind } from '../../src/emulators/threatq/emulator-context.ts';
import { formatTime } from '../../src/emulators/threatq/cursor-mark.ts';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import type { SourcePage } from '../../src/sources/source-types.ts';
import { clientCredentials, drain, makeClient, makeSource } from '../fixtures/threatq/helpers.ts';

const ID = '6d4c1f0e2b9a8c7d'; // every indicator
const COLLECTION_PATH = `/api/indicators/query/hash/${ID}`;
const COUNT = 2000;
const PAGE = 200; // 10 pages
const FROM = 1400; // page 8 of 10
/** Re-requests fast enough for tests; 4 requests of a damaged page in all. */
const FAST_PAGE_RETRY = { minDelayMs: 5, baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 4, deadlineMs: 20_000 };
const PERSISTENT = 1_000_000;

/** Every indicator id of the collection (the collection holds every type and status). */
function allIds(emu: ThreatQEmulator): string[] {
  return [...emu.indicators(ID)].map((r) => String(r.id)).sort();
}

/** The collection's ids in the order the client pages it (updated_at, then id). */
function pagingOrder(emu: ThreatQEmulator): number[] {
  return [...emu.indicators(ID)].sort((a, b) => a.updatedAt - b.updatedAt || a.id - b.id).map((r) => r.id);
}

describe('ThreatQ collection completeness', () => {
  let emu: ThreatQEmulator;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: COUNT, seed: 13 } });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  const client = () => makeClient(emu, { pageSize: PAGE, pageRetryPolicy: FAST_PAGE_RETRY });
  /** Every type and status, so `seen` and the ids count every object of the collection. */
  const everything = { id: ID, statuses: ['Active', 'Expired', 'Indirect', 'Review', 'Whitelisted'], types: ['IP Address', 'IPv6 Address', 'CIDR Block'] as const };

  describe.each(PAGE_FAULT_KINDS)('page fault %s at page 8 of 10', (kind: PageFaultKind) => {
    it('transient (heals after 2 damaged answers): re-requested with the same cursor, every indicator arrives exactly once', async () => {
      emu.addFault({ match: { path: COLLECTION_PATH }, page: { kind, fromIndex: FROM }, times: 2 });
      const c = client();
      try {
        const { pages } = await drain(makeSource(c, emu, everything));
        expect(pages.reduce((n, p) => n + p.seen, 0)).toBe(COUNT);
        const log = emu.requests().filter((r) => r.path === COLLECTION_PATH);
        const damaged = log.filter((r) => r.fault);
        expect(damaged).toHaveLength(2);
        // The damaged page was asked for again, with the cursor it was asked with, until it healed.
        const cursor = damaged[0]?.query['cursorMark'];
        expect(damaged[1]?.query['cursorMark']).toBe(cursor);
        const after = log.slice(log.indexOf(damaged[1] ?? log[0]!) + 1);
        expect(after[0]).toMatchObject({ status: 200, query: { cursorMark: cursor } });
        expect(after[0]?.fault).toBeUndefined();
        // No page was yielded twice and none is missing.
        const ids = pages.flatMap((p) => p.indicators.map((i) => i.id));
        expect(new Set(ids).size).toBe(ids.length);
      } finally {
        c.close();
      }
    });

    it('persistent: the read fails with ERR_THREATQ_INCOMPLETE naming the collection, what arrived and what total said', async () => {
      emu.addFault({ match: { path: COLLECTION_PATH }, page: { kind, fromIndex: FROM }, times: PERSISTENT });
      const c = client();
      try {
        const pages: SourcePage[] = [];
        const err = await (async () => {
          for await (const p of makeSource(c, emu, everything).pages()) pages.push(p);
        })().catch((e: unknown) => e);
        // missingCursor / sameCursor pages carry their data (page 8), empty kinds do not.
        const received = kind === 'missingCursor' || kind === 'sameCursor' ? FROM + PAGE : FROM;
        expect(err).toMatchObject({ code: 'ERR_THREATQ_INCOMPLETE', retryable: true, collection: ID, received, total: COUNT });
        expect((err as Error).message).toContain(`collection ${ID} on tq-test`);
        expect((err as Error).message).toContain(`received ${received} of the ${COUNT} indicators`);
        // The page that ended the read is not handed on when the read fails: the consumer saw pages 1-7.
        expect(pages.reduce((n, p) => n + p.seen, 0)).toBe(FROM);
        // Bounded: the damaged page was requested maxAttempts times, nothing after it.
        const damaged = emu.requests().filter((r) => r.path === COLLECTION_PATH && r.fault);
        expect(damaged).toHaveLength(FAST_PAGE_RETRY.maxAttempts);
        expect(new Set(damaged.map((r) => r.query['cursorMark'])).size).toBe(1);
      } finally {
        c.close();
      }
    });
  });

  it('an empty first page while total counts the collection is not an empty collection', async () => {
    emu.addFault({ match: { path: COLLECTION_PATH }, page: { kind: 'emptyArray' }, times: PERSISTENT });
    const c = client();
    try {
      const err = await drain(makeSource(c, emu, everything)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_INCOMPLETE', received: 0, total: COUNT });
    } finally {
      c.close();
    }
  });

  it('a shrinking total is judged against the largest total announced during the read', async () => {
    emu.addFault({ match: { path: COLLECTION_PATH }, page: { kind: 'shrinkingTotal', fromIndex: FROM }, times: PERSISTENT });
    const c = client();
    try {
      const err = await drain(makeSource(c, emu, everything)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_INCOMPLETE', received: FROM, total: COUNT });
      expect((err as Error).message).toContain(`total fell from ${COUNT} to ${FROM}`);
    } finally {
      c.close();
    }
  });

  it('a complete read asks for no page twice', async () => {
    const c = client();
    try {
      const { pages } = await drain(makeSource(c, emu, everything));
      expect(pages.reduce((n, p) => n + p.seen, 0)).toBe(COUNT);
      const cursors = emu
        .requests()
        .filter((r) => r.path === COLLECTION_PATH && r.status === 200)
        .map((r) => r.query['cursorMark']);
      expect(cursors).toHaveLength(COUNT / PAGE + 1);
      expect(new Set(cursors).size).toBe(cursors.length);
    } finally {
      c.close();
    }
  });

  describe('a collection that changes while it is paged', () => {
    /** Page the collection, moving `n` indicators not yet read behind the cursor once page 2 is read. */
    async function readWhileMoving(n: number): Promise<{ pages: SourcePage[]; error: unknown }> {
      const order = pagingOrder(emu);
      // Indicators near the end of the order (not read yet) get an old updated_at: they move before
      // the cursor and this read never sees them, while total still counts them.
      const moved = order.slice(COUNT - 300, COUNT - 300 + n);
      const old = formatTime(Math.floor(Date.UTC(2001, 0, 1) / 1000));
      const c = client();
      const pages: SourcePage[] = [];
      try {
        for await (const p of makeSource(c, emu, everything).pages()) {
          pages.push(p);
          if (pages.length === 2) for (const id of moved) emu.mutate(id, { updated_at: old });
        }
        return { pages, error: undefined };
      } catch (e) {
        return { pages, error: e };
      } finally {
        c.close();
      }
    }

    it('completes when the shortfall is within the tolerance (max(5, 1%) of total, at most 10%)', async () => {
      const { pages, error } = await readWhileMoving(15); // 1% of 2000 is 20
      expect(error).toBeUndefined();
      expect(pages.reduce((n, p) => n + p.seen, 0)).toBe(COUNT - 15);
      expect(allIds(emu)).toHaveLength(COUNT);
    });

    it('fails when the shortfall is beyond the tolerance', async () => {
      const { error } = await readWhileMoving(60);
      expect(error).toMatchObject({ code: 'ERR_THREATQ_INCOMPLETE', received: COUNT - 60, total: COUNT, tolerance: 20 });
    });
  });
});

describe('ThreatQ emulator page faults', () => {
  let emu: ThreatQEmulator;
  let token: string;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: 30, seed: 5 } });
  });
  afterAll(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    const c = clientCredentials(emu);
    const res = await fetch(`${emu.url}/api/token?grant_type=client_credentials`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}` },
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const page = async (cursorMark: string) => {
    const res = await fetch(`${emu.url}${COLLECTION_PATH}?sort=updated_at&limit=10&cursorMark=${encodeURIComponent(cursorMark)}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('damages pages from fromIndex on, as documented, and heals after `times` damaged answers', async () => {
    const first = await page('*');
    const second = (first.body['nextCursorMark'] as string) ?? '';
    expect((await post({ faults: [{ match: { path: COLLECTION_PATH }, page: { kind: 'nullData', fromIndex: 10 }, times: 1 }] })).body).toEqual({ ok: true, added: 1 });
    // page 1 (index 0) is before fromIndex: untouched, and the fault is not used up
    expect((await page('*')).body).toEqual(first.body);
    expect((await page(second)).body).toEqual({ total: 30, limit: 10, nextCursorMark: second, data: null });
    expect(((await page(second)).body['data'] as unknown[]).length).toBe(10);

    await post({ match: { path: COLLECTION_PATH }, page: { kind: 'emptyArray', fromIndex: 10 } });
    expect((await page(second)).body).toEqual({ total: 30, limit: 10, nextCursorMark: second, data: [] });
    await post({ match: { path: COLLECTION_PATH }, page: { kind: 'shrinkingTotal', fromIndex: 10 } });
    expect((await page(second)).body).toEqual({ total: 10, limit: 10, nextCursorMark: second, data: [] });
    await post({ match: { path: COLLECTION_PATH }, page: { kind: 'missingCursor', fromIndex: 10 } });
    const noCursor = await page(second);
    expect(noCursor.body).not.toHaveProperty('nextCursorMark');
    expect(noCursor.body['data'] as unknown[]).toHaveLength(10);
    await post({ match: { path: COLLECTION_PATH }, page: { kind: 'sameCursor', fromIndex: 10 } });
    const same = await page(second);
    expect(same.body['nextCursorMark']).toBe(second);
    expect(same.body['data'] as unknown[]).toHaveLength(10);
    const log = emu.requests().filter((r) => r.path === COLLECTION_PATH);
    expect(log.map((r) => r.fault === true)).toEqual([false, false, true, false, true, true, true, true]);
  });

  it('refuses malformed page faults', async () => {
    expect((await post({ page: { kind: 'truncated' } })).status).toBe(400);
    expect((await post({ page: { kind: 'emptyArray', fromIndex: -1 } })).status).toBe(400);
    expect((await post({ page: { kind: 'emptyArray' }, status: 500 })).status).toBe(400);
    expect((await post({ page: null })).status).toBe(400);
  });
});
