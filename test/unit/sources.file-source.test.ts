import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/sources/file-source.ts';
import type { SourcePage } from '../../src/sources/source-types.ts';

const dir = mkdtempSync(join(tmpdir(), 'tq-file-source-'));
const config = (path: string) => ({ name: 'local-list', kind: 'file' as const, path, targets: ['t'] });

async function collect(src: FileSource): Promise<SourcePage[]> {
  const out: SourcePage[] = [];
  for await (const p of src.pages()) out.push(p);
  return out;
}

describe('FileSource', () => {
  it('streams one indicator per line with line ids, the path as collection, in pages', async () => {
    const path = join(dir, 'list.txt');
    writeFileSync(path, '# header\r\n198.51.100.7\r\n\r\n2001:db8::1 # v6\r\nnot-an-ip\r\n203.0.113.0/24\r\n');
    const pages = await collect(new FileSource(config(path), { pageSize: 2 }));
    expect(pages.map((p) => p.page)).toEqual([1, 2]);
    const all = pages.flatMap((p) => p.indicators);
    expect(all).toEqual([
      { value: '198.51.100.7', type: 'IP Address', status: undefined, score: null, updatedAt: null, id: 'line:2', source: 'local-list', collection: path },
      { value: '2001:db8::1', type: 'IPv6 Address', status: undefined, score: null, updatedAt: null, id: 'line:4', source: 'local-list', collection: path },
      { value: 'not-an-ip', type: undefined, status: undefined, score: null, updatedAt: null, id: 'line:5', source: 'local-list', collection: path },
      { value: '203.0.113.0/24', type: 'CIDR Block', status: undefined, score: null, updatedAt: null, id: 'line:6', source: 'local-list', collection: path },
    ]);
    expect(pages.map((p) => p.seen)).toEqual([2, 2]);
  });

  it('yields nothing for an empty or comment-only file', async () => {
    const path = join(dir, 'empty.txt');
    writeFileSync(path, '# nothing here\n\n');
    expect(await collect(new FileSource(config(path)))).toEqual([]);
  });

  it('fails with ERR_SOURCE_FILE_READ naming the path for a missing file or a directory', async () => {
    const missing = join(dir, 'nope.txt');
    await expect(collect(new FileSource(config(missing)))).rejects.toMatchObject({ code: 'ERR_SOURCE_FILE_READ', message: expect.stringContaining(missing) });
    await expect(collect(new FileSource(config(dir)))).rejects.toMatchObject({ code: 'ERR_SOURCE_FILE_READ', message: expect.stringContaining('not a regular file') });
  });

  it('stops with ERR_SOURCE_ABORTED when the signal fires', async () => {
    const path = join(dir, 'big.txt');
    writeFileSync(path, Array.from({ length: 50 }, (_, i) => `198.51.100.${i}`).join('\n'));
    const ac = new AbortController();
    const src = new FileSource(config(path), { pageSize: 10, signal: ac.signal });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const p of src.pages()) {
          seen.push(p.page);
          ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ERR_SOURCE_ABORTED' });
    expect(seen).toEqual([1]);
  });

  it('reads lines like ranges merge: UTF-16 decoded, CR-only line ends', async () => {
    const utf16 = join(dir, 'utf16.txt');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('# list\r\n198.51.100.7\r\n2001:db8::1 # v6\r\n', 'utf16le')]));
    const cr = join(dir, 'cr.txt');
    writeFileSync(cr, '# list\r198.51.100.7\r2001:db8::1 # v6\r');
    for (const path of [utf16, cr]) {
      const all = (await collect(new FileSource(config(path)))).flatMap((p) => p.indicators.map((i) => [i.id, i.value, i.type]));
      expect([path, all]).toEqual([
        path,
        [
          ['line:2', '198.51.100.7', 'IP Address'],
          ['line:3', '2001:db8::1', 'IPv6 Address'],
        ],
      ]);
    }
  });

  it('refuses a file that is mostly not indicators with ERR_SOURCE_NOT_A_BLOCKLIST naming it, before emitting any page', async () => {
    const path = join(dir, 'not-a-list.txt');
    const lines = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `198.51.100.${i}` : `user${i}:x:1000:1000::/home/user${i}:/bin/sh`));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const pages: SourcePage[] = [];
    const run = (async () => {
      for await (const p of new FileSource(config(path), { pageSize: 25 }).pages()) pages.push(p);
    })();
    await expect(run).rejects.toMatchObject({ code: 'ERR_SOURCE_NOT_A_BLOCKLIST', message: expect.stringContaining(path), retryable: false });
    expect(pages).toEqual([]);
    const err = await collect(new FileSource(config(path))).catch((e: Error) => e);
    expect((err as Error).message).not.toContain('/bin/sh');
  });

  it('keeps a list whose bad lines are few, or mistyped addresses, or too few to judge', async () => {
    const mostlyGood = join(dir, 'mostly-good.txt');
    writeFileSync(mostlyGood, Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 'example.com' : `198.51.100.${i}`)).join('\n'));
    expect((await collect(new FileSource(config(mostlyGood)))).flatMap((p) => p.indicators)).toHaveLength(40);
    const typos = join(dir, 'typos.txt');
    writeFileSync(typos, Array.from({ length: 40 }, (_, i) => `256.1.1.${i}`).join('\n'));
    expect((await collect(new FileSource(config(typos)))).flatMap((p) => p.indicators)).toHaveLength(40);
    const small = join(dir, 'small.txt');
    writeFileSync(small, Array.from({ length: 19 }, (_, i) => `word${i}`).join('\n'));
    expect((await collect(new FileSource(config(small)))).flatMap((p) => p.indicators)).toHaveLength(19);
  });
});
