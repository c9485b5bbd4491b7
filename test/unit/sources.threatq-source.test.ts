/**
 * ThreatQSource's per-indicator decisions, with a scripted client (no HTTP): type/status filter, then
 * the thresholds (maxAge counted back from the injected `now`), and ThreatQ's whitelist entries taken
 * aside (never kept, never counted as filtered) from the collection and from `whitelistCollection`.
 */
import { describe, expect, it } from 'vitest';
import { ThreatQSource } from '../../src/sources/threatq-source.ts';
import type { ThreatQClient } from '../../src/threatq/threatq-client.ts';
import type { CollectionConfig, ThreatQSourceConfig } from '../../src/config/schema.ts';
import type { SourcePage, WhitelistPage } from '../../src/sources/source-types.ts';
import { INDICATOR_TYPES } from '../../src/ranges/index.ts';

const NOW = Date.UTC(2026, 10, 30, 0, 0, 0);
const DAY = 86_400_000;
const tq = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

let nextId = 1;
function raw(value: string, type: string, status: string, score: number | null = 9, updated: number | null = NOW - DAY) {
  return { id: nextId++, value, type: { name: type }, status: { name: status }, score, ...(updated === null ? {} : { updated_at: tq(updated) }) };
}

function fakeClient(collections: Record<string, unknown[]>, pageSize = 3): ThreatQClient & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    async *collectionPages(id: string) {
      read.push(id);
      const data = collections[id] ?? [];
      for (let i = 0, page = 1; i < data.length; i += pageSize, page += 1) yield { page, total: data.length, data: data.slice(i, i + pageSize), cursorMark: '*', nextCursorMark: undefined };
    },
    nameMaps: () => Promise.resolve({ types: new Map(), statuses: new Map() }),
  } as unknown as ThreatQClient & { read: string[] };
}

function config(over: Partial<ThreatQSourceConfig> = {}, col: Partial<CollectionConfig> = {}): { source: ThreatQSourceConfig; collection: CollectionConfig } {
  const collection = { id: 'c1', targets: ['t'], statuses: ['Active'], types: [...INDICATOR_TYPES], ...col } as CollectionConfig;
  const source = { name: 'tq', kind: 'threatq', url: 'https://tq.example', neverBlockWhitelisted: true, whitelistStatuses: ['Whitelisted'], collections: [collection], ...over } as ThreatQSourceConfig;
  return { source, collection };
}

async function drain(src: ThreatQSource): Promise<{ pages: SourcePage[]; extra: WhitelistPage[] }> {
  const pages: SourcePage[] = [];
  for await (const p of src.pages()) pages.push(p);
  const extra: WhitelistPage[] = [];
  for await (const p of src.whitelistPages()) extra.push(p);
  return { pages, extra };
}

function sum(pages: SourcePage[]): { kept: string[]; whitelist: string[]; filtered: Record<string, number>; seen: number } {
  const filtered: Record<string, number> = {};
  for (const p of pages) for (const [k, n] of Object.entries(p.filtered)) filtered[k] = (filtered[k] ?? 0) + n;
  return { kept: pages.flatMap((p) => p.indicators.map((i) => i.value)), whitelist: pages.flatMap((p) => p.whitelist ?? []), filtered, seen: pages.reduce((n, p) => n + p.seen, 0) };
}

describe('ThreatQSource thresholds', () => {
  it('drops by score and age after the type/status filter, counting each reason; maxAge counts back from the injected now', async () => {
    const data = [
      raw('198.51.100.1', 'IP Address', 'Active', 7, NOW - 10 * DAY), // kept
      raw('198.51.100.2', 'IP Address', 'Active', 5, NOW - 10 * DAY), // score:below-6
      raw('198.51.100.3', 'IP Address', 'Active', null, NOW - 10 * DAY), // score:none
      raw('198.51.100.4', 'IP Address', 'Active', 9, NOW - 31 * DAY), // age:older-than-30d
      raw('198.51.100.5', 'IP Address', 'Active', 9, null), // age:unknown
      raw('198.51.100.6', 'IP Address', 'Expired', 1, null), // status first
      raw('bad.example', 'FQDN', 'Active', 1, null), // type first
      raw('198.51.100.7', 'CIDR Block', 'Active', 6, NOW - 30 * DAY), // kept: both exactly at the bound
    ];
    const { source, collection } = config({}, { minScore: 6, maxAge: 30 * DAY });
    const got = sum((await drain(new ThreatQSource(fakeClient({ c1: data }), source, collection, { now: NOW }))).pages);
    expect(got.kept).toEqual(['198.51.100.1', '198.51.100.7']);
    expect(got.filtered).toEqual({ 'score:below-6': 1, 'score:none': 1, 'age:older-than-30d': 1, 'age:unknown': 1, 'status:Expired': 1, 'type:FQDN': 1 });
    expect(got.seen).toBe(8);
    // a later run start: the 10-day-old indicator is now too old as well
    const later = sum((await drain(new ThreatQSource(fakeClient({ c1: data }), source, collection, { now: NOW + 21 * DAY }))).pages);
    expect(later.kept).toEqual([]);
    expect(later.filtered['age:older-than-30d']).toBe(3);
  });
});

describe('ThreatQSource whitelist entries', () => {
  const data = [
    raw('198.51.100.1', 'IP Address', 'Active'),
    raw('203.0.113.9', 'IP Address', 'Whitelisted', 0, null), // whitelist: thresholds do not apply
    raw('2001:db8::/48', 'CIDR Block', 'whitelisted'), // case-insensitive status, a type outside `types`
    raw('ok.example', 'FQDN', 'Whitelisted'), // not an IP type: filtered as before
  ];

  it('takes whitelist-status IP indicators aside, whatever the collection types and thresholds', async () => {
    const { source, collection } = config({}, { types: ['IP Address'], minScore: 5 });
    const got = sum((await drain(new ThreatQSource(fakeClient({ c1: data }), source, collection, { now: NOW }))).pages);
    expect(got.kept).toEqual(['198.51.100.1']);
    expect(got.whitelist).toEqual(['203.0.113.9', '2001:db8::/48']);
    expect(got.filtered).toEqual({ 'type:FQDN': 1 });
    expect(got.seen).toBe(4);
  });

  it('with neverBlockWhitelisted false, whitelist-status indicators are filtered by status as before', async () => {
    const { source, collection } = config({ neverBlockWhitelisted: false });
    const got = sum((await drain(new ThreatQSource(fakeClient({ c1: data }), source, collection))).pages);
    expect(got.whitelist).toEqual([]);
    expect(got.filtered).toEqual({ 'status:Whitelisted': 1, 'status:whitelisted': 1, 'type:FQDN': 1 });
  });

  it('honours custom whitelistStatuses', async () => {
    const { source, collection } = config({ whitelistStatuses: ['False Positive'] });
    const fp = [raw('192.0.2.1', 'IP Address', 'False Positive'), raw('192.0.2.2', 'IP Address', 'Whitelisted')];
    const got = sum((await drain(new ThreatQSource(fakeClient({ c1: fp }), source, collection))).pages);
    expect(got.whitelist).toEqual(['192.0.2.1']);
    expect(got.filtered).toEqual({ 'status:Whitelisted': 1 });
  });

  it('pages whitelistCollection after the collection, keeping only its whitelist entries', async () => {
    const wl = [raw('192.0.2.10', 'IP Address', 'Whitelisted'), raw('192.0.2.11', 'IP Address', 'Active'), raw('192.0.2.0/28', 'CIDR Block', 'Whitelisted'), raw('x.example', 'FQDN', 'Whitelisted')];
    const { source, collection } = config({ whitelistCollection: 'wl' });
    const client = fakeClient({ c1: data, wl });
    const { pages, extra } = await drain(new ThreatQSource(client, source, collection));
    expect(client.read).toEqual(['c1', 'wl']);
    expect(sum(pages).whitelist).toEqual(['203.0.113.9', '2001:db8::/48']);
    expect(extra.flatMap((p) => p.values)).toEqual(['192.0.2.10', '192.0.2.0/28']);
    expect(extra.every((p) => p.collection === 'wl')).toBe(true);
    expect(extra.reduce((n, p) => n + p.seen, 0)).toBe(4);
  });

  it('does not page whitelistCollection when it is the collection itself, or when the whitelist is off', async () => {
    for (const over of [{ whitelistCollection: 'c1' }, { whitelistCollection: 'wl', neverBlockWhitelisted: false }]) {
      const { source, collection } = config(over);
      const client = fakeClient({ c1: data, wl: data });
      const { extra } = await drain(new ThreatQSource(client, source, collection));
      expect(client.read).toEqual(['c1']);
      expect(extra).toEqual([]);
    }
  });
});
