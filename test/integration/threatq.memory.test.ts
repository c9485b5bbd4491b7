/**
 * A 100,000-indicator collection paged from the emulator: memory must not grow with the collection.
 * Heap is measured after forced GCs (gc exposed at run time through v8 flags), once after the first
 * pages and once at the end, with a generous bound. The same probe run while retaining every
 * indicator shows it would catch a client that accumulates.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import type { SourceIndicator } from '../../src/sources/source-types.ts';
import { makeClient, makeSource } from '../fixtures/threatq/helpers.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

const ID = '6d4c1f0e2b9a8c7d';
// Keeping the ~56,000 kept indicators costs about 14 MB; the raw pages (~60 MB of JSON) far more.
const BOUND_MB = 5;

describe('ThreatQ 100,000-indicator collection', () => {
  let emu: ThreatQEmulator;
  let expected = 0;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: 100_000, seed: 3 } });
    for (const r of emu.indicators(ID)) if (r.status.name === 'Active' && ['IP Address', 'IPv6 Address', 'CIDR Block'].includes(r.type.name)) expected++;
  });
  afterAll(() => emu.close());

  async function run(retain: SourceIndicator[] | undefined): Promise<{ growth: number; kept: number; pages: number }> {
    const client = makeClient(emu, { pageSize: 1000 });
    let baseline = 0;
    let kept = 0;
    let pages = 0;
    try {
      for await (const p of makeSource(client, emu, { id: ID }).pages()) {
        pages++;
        kept += p.indicators.length;
        if (retain) retain.push(...p.indicators);
        if (pages === 10) baseline = heapMb();
      }
      return { growth: heapMb() - baseline, kept, pages };
    } finally {
      client.close();
    }
  }

  it('pages through with constant memory', async () => {
    const { growth, kept, pages } = await run(undefined);
    expect(pages).toBe(100);
    expect(kept).toBe(expected);
    expect(growth).toBeLessThan(BOUND_MB);
  });

  it('the probe detects a consumer that keeps everything (sanity check of the bound)', async () => {
    const retained: SourceIndicator[] = [];
    const { growth } = await run(retained);
    expect(retained.length).toBe(expected);
    expect(growth).toBeGreaterThan(BOUND_MB);
  });
});
