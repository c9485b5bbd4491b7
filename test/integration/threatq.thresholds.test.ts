/**
 * Thresholds per collection against the ThreatQ emulator over real HTTP: indicators seeded through
 * `POST /__emulator/seed` (and a generated collection) are paged by ThreatQSource, and minScore/maxAge
 * filter them with the right counts by reason, as computed from the emulator's own store.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { formatTime } from '../../src/emulators/threatq/cursor-mark.ts';
import type { SeedIndicator } from '../../src/emulators/threatq/emulator-seed.ts';
import type { ThreatQClient } from '../../src/threatq/threatq-client.ts';
import { ThreatQSource } from '../../src/sources/threatq-source.ts';
import { drain, makeClient, sourceConfig } from '../fixtures/threatq/helpers.ts';

const DAY_S = 86_400;
const NOW = Date.now();
const ago = (days: number) => formatTime(Math.floor(NOW / 1000) - days * DAY_S);
const IP_TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'];

function totals(pages: { filtered: Record<string, number> }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pages) for (const [k, n] of Object.entries(p.filtered)) out[k] = (out[k] ?? 0) + n;
  return out;
}

describe('collection thresholds (ThreatQ emulator)', () => {
  let emu: ThreatQEmulator;
  let client: ThreatQClient;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ idOffset: 420 });
    client = makeClient(emu, { pageSize: 4 });
  });
  afterAll(async () => {
    client.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  async function seed(indicators: SeedIndicator[]): Promise<void> {
    const res = await fetch(`${emu.url}/__emulator/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ indicators, collections: { thr: {} } }) });
    expect(res.status).toBe(200);
  }

  it('minScore and maxAge drop what they should, each counted under its reason, after the type/status filter', async () => {
    await seed([
      { value: '198.51.100.1', type: 'IP Address', status: 'Active', score: 8, updated_at: ago(5) }, // kept
      { value: '198.51.100.2', type: 'IP Address', status: 'Active', score: 6, updated_at: ago(89) }, // kept: at minScore, within 90d
      { value: '198.51.100.3', type: 'IP Address', status: 'Active', score: 5, updated_at: ago(5) }, // score:below-6
      { value: '2001:db8::3', type: 'IPv6 Address', status: 'Active', score: 0, updated_at: ago(400) }, // score:below-6 (score first)
      { value: '198.51.100.4', type: 'IP Address', status: 'Active', score: null, updated_at: ago(5) }, // score:none
      { value: '203.0.113.0/24', type: 'CIDR Block', status: 'Active', score: 9, updated_at: ago(91) }, // age:older-than-90d
      { value: '2001:db8::/48', type: 'CIDR Block', status: 'Active', score: 10, updated_at: ago(1000) }, // age:older-than-90d
      { value: '198.51.100.5', type: 'IP Address', status: 'Expired', score: 1, updated_at: ago(1000) }, // status:Expired
      { value: 'bad.example', type: 'FQDN', status: 'Active', score: 1, updated_at: ago(5) }, // type:FQDN
      { value: '198.51.100.9', type: 'IP Address', status: 'Whitelisted', score: 0, updated_at: ago(1000) }, // whitelist entry
    ]);
    const cfg = sourceConfig(emu, [{ id: 'thr', minScore: 6, maxAge: 90 * DAY_S * 1000 }]);
    const col = cfg.collections[0];
    if (!col) throw new Error('unreachable');
    const { pages, indicators } = await drain(new ThreatQSource(client, cfg, col, { now: NOW }));
    expect(indicators.map((i) => i.value).sort()).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(totals(pages)).toEqual({ 'score:below-6': 2, 'score:none': 1, 'age:older-than-90d': 2, 'status:Expired': 1, 'type:FQDN': 1 });
    expect(pages.flatMap((p) => p.whitelist ?? [])).toEqual(['198.51.100.9']);
    expect(pages.reduce((n, p) => n + p.seen, 0)).toBe(10);
  });

  it('on a generated collection, the counts by reason equal the emulator ground truth', async () => {
    const gen = await startThreatQEmulator({ generate: { count: 3000, seed: 11 }, idOffset: 430 });
    const c = makeClient(gen, { pageSize: 250 });
    try {
      const id = '6d4c1f0e2b9a8c7d';
      // The generator's updated_at starts at 2024-01-01 and rises 61 s every two rows: pick a run start and
      // maxAge that cut the collection in the middle.
      const rows = [...gen.indicators(id)];
      const mid = rows[Math.floor(rows.length / 2)]?.updatedAt ?? 0;
      const now = (mid + 3600 * 10) * 1000;
      const cfg = sourceConfig(gen, [{ id, minScore: 4, maxAge: 10 * 3_600_000 }]);
      const col = cfg.collections[0];
      if (!col) throw new Error('unreachable');
      const { pages, indicators } = await drain(new ThreatQSource(c, cfg, col, { now }));
      const want: Record<string, number> = {};
      const kept: string[] = [];
      const bump = (k: string) => (want[k] = (want[k] ?? 0) + 1);
      for (const r of rows) {
        if (r.status.name === 'Whitelisted' && IP_TYPES.includes(r.type.name)) continue;
        if (!IP_TYPES.includes(r.type.name)) bump(`type:${r.type.name}`);
        else if (r.status.name !== 'Active') bump(`status:${r.status.name}`);
        else if (r.score === null) bump('score:none');
        else if (r.score < 4) bump('score:below-4');
        else if (r.updatedAt * 1000 < now - 10 * 3_600_000) bump('age:older-than-10h');
        else kept.push(String(r.id));
      }
      expect(want['score:below-4']).toBeGreaterThan(0);
      expect(want['score:none']).toBeGreaterThan(0);
      expect(want['age:older-than-10h']).toBeGreaterThan(0);
      expect(kept.length).toBeGreaterThan(0);
      expect(totals(pages)).toEqual(want);
      expect(indicators.map((i) => i.id).sort()).toEqual(kept.sort());
    } finally {
      c.close();
      await gen.close();
    }
  });
});
