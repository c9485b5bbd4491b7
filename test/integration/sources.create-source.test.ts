/** createSource: one interface over ThreatQ collections and files, as the pipeline uses it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceConfig } from '../../src/config/schema.ts';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { clientFor, createSource } from '../../src/sources/create-source.ts';
import { drain, expectedIds, sourceConfig } from '../fixtures/threatq/helpers.ts';

describe('createSource', () => {
  let emu: ThreatQEmulator;
  beforeAll(async () => {
    emu = await startThreatQEmulator({ generate: { count: 1500 }, idOffset: 77 });
  });
  afterAll(() => emu.close());

  it('reads a ThreatQ collection and a file through the same interface', async () => {
    const tq = Object.freeze(sourceConfig(emu, [{ id: '6d4c1f0e2b9a8c7d' }, { id: 'a1b2c3d4e5f6', statuses: ['Active', 'Review'], types: ['IP Address'] }]));
    const path = join(mkdtempSync(join(tmpdir(), 'tq-create-source-')), 'extra.txt');
    writeFileSync(path, '# extra blocks\n198.51.100.7\n203.0.113.0/24\n');
    const file: SourceConfig = { name: 'local-list', kind: 'file', path, targets: ['t'] };

    const first = createSource(tq, 'a1b2c3d4e5f6');
    expect([first.source, first.collection]).toEqual(['tq-test', 'a1b2c3d4e5f6']);
    const a = await drain(first);
    expect(a.indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, 'a1b2c3d4e5f6', ['IP Address'], ['Active', 'Review']));

    const b = await drain(createSource(tq, '6d4c1f0e2b9a8c7d'));
    expect(b.indicators.length).toBe(expectedIds(emu, '6d4c1f0e2b9a8c7d', ['IP Address', 'IPv6 Address', 'CIDR Block'], ['Active']).length);
    // the client (and its token) is shared by every collection of the configured source
    expect(clientFor(tq).tokensIssued).toBe(1);

    const f = await drain(createSource(file, path));
    expect(f.indicators.map((i) => [i.id, i.value, i.type, i.source, i.collection])).toEqual([
      ['line:2', '198.51.100.7', 'IP Address', 'local-list', path],
      ['line:3', '203.0.113.0/24', 'CIDR Block', 'local-list', path],
    ]);
    clientFor(tq).close();
  });

  it('rejects a collection the source does not configure, naming the known ones', () => {
    const tq = sourceConfig(emu, [{ id: 'abc' }]);
    expect(() => createSource(tq, 'xyz')).toThrow(expect.objectContaining({ code: 'ERR_SOURCE_UNKNOWN_COLLECTION', message: 'source tq-test has no collection "xyz" (configured: abc)' }));
    const file: SourceConfig = { name: 'local-list', kind: 'file', path: '/etc/list.txt', targets: ['t'] };
    expect(() => createSource(file, '/etc/other.txt')).toThrow(/source local-list has no collection "\/etc\/other.txt" \(configured: \/etc\/list.txt\)/);
  });

  it('passes the abort signal given at creation', async () => {
    const tq = sourceConfig(emu, [{ id: '6d4c1f0e2b9a8c7d' }]);
    const ac = new AbortController();
    ac.abort();
    await expect(drain(createSource(tq, '6d4c1f0e2b9a8c7d', { signal: ac.signal }))).rejects.toMatchObject({ code: 'ERR_SOURCE_ABORTED' });
    clientFor(tq).close();
  });
});
