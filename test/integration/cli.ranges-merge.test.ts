import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { DEFAULT_RANGE_OPTIONS } from '../../src/ranges/index.ts';
import { formatIPv4Cidr } from '../../src/ranges/ipv4-text.ts';
import { formatIPv6BigInt } from '../../src/ranges/ipv6-text.ts';
import { FileSource } from '../../src/sources/file-source.ts';
import { BIN, runCli } from '../helpers/run-cli.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/ranges/${name}`, import.meta.url));

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tqe-ranges-')), name);
  writeFileSync(path, text);
  return path;
}

describe('tq-entra ranges merge', () => {
  it('prints only merged CIDRs on stdout, one line per rejection and a summary on stderr (BOM, CRLF, comments)', async () => {
    const r = await runCli(['ranges', 'merge', fixture('sample-feed.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(fixture('sample-feed.expected.txt'), 'utf8'));
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      'line 7: 10.0.0.1: RESERVED',
      'line 10: example.com: NOT_AN_ADDRESS',
      'line 12: 256.1.1.1: OCTET_OUT_OF_RANGE',
      'line 15: 8.0.0.0/7: PREFIX_TOO_BROAD',
      'line 16: 203.0.113.9/24: RESERVED',
    ]);
    expect(lines.at(-1)).toMatch(/^ranges merge: 16 lines, 9 accepted, 5 rejected \(.*RESERVED 2\), 2 blank or comment, .*6 CIDRs out \(IPv4 5, IPv6 1\)$/);
  });

  it('reads stdin (no FILE or "-") and orders IPv4 then IPv6', async () => {
    const input = '2606:4700::1\n9.9.9.9\n1.1.1.1\n1.1.1.0\n2606:4700::\n';
    for (const args of [['ranges', 'merge'], ['ranges', 'merge', '-']]) {
      const r = await runCli(args, { input });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('1.1.1.0/31\n9.9.9.9/32\n2606:4700::/127\n');
    }
  });

  it('prints nothing on stdout for empty input and still exits 0', async () => {
    const r = await runCli(['ranges', 'merge'], { input: '' });
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/^ranges merge: 0 lines/);
  });

  it('--allow-reserved, --min-prefix-v4 and --min-prefix-v6 change the policy', async () => {
    const input = '10.0.0.0/24\n10.0.1.0/24\n8.0.0.0/7\n2600::/7\n';
    const strict = await runCli(['ranges', 'merge'], { input });
    expect(strict.stdout).toBe('');
    const open = await runCli(['ranges', 'merge', '--allow-reserved', '--min-prefix-v4', '0', '--min-prefix-v6', '0'], { input });
    // Without a floor, merged blocks are still cut back to Graph's /8, as the service does.
    expect(open.stdout).toBe('8.0.0.0/8\n9.0.0.0/8\n10.0.0.0/23\n2600::/8\n2700::/8\n');
    const exact = await runCli(['ranges', 'merge', '--allow-reserved', '--min-prefix-v4', '0', '--min-prefix-v6', '0', '--no-split'], { input });
    expect(exact.stdout).toBe('8.0.0.0/7\n10.0.0.0/23\n2600::/7\n');
    const floor = await runCli(['ranges', 'merge', '--min-prefix-v4', '25'], { input: '8.8.8.0/24\n8.8.8.0/25\n' });
    expect(floor.stdout).toBe('8.8.8.0/25\n');
    expect(floor.stderr).toContain('line 1: 8.8.8.0/24: PREFIX_TOO_BROAD');
  });

  it('--never-block removes ranges, keeping the rest of a partly covered one', async () => {
    const nb = tempFile('never.txt', '# our egress\n8.8.8.8\n2606:4700::/32\n');
    const r = await runCli(['ranges', 'merge', '--never-block', nb], { input: '8.8.8.8/29\n2606:4700::1\n1.1.1.1\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('1.1.1.1/32\n8.8.8.9/32\n8.8.8.10/31\n8.8.8.12/30\n');
    expect(r.stderr).toMatch(/4 CIDRs out \(IPv4 4, IPv6 0\), never-block list of 2/);
  });

  it('reads FILE, the --never-block file and a file source with the one line reader (issue 14)', async () => {
    // Trailing comments, a lone CR, a BOM, UTF-16: before the fix the --never-block file had a reader of
    // its own, which refused "8.8.8.8  # resolver" as NOT_AN_ADDRESS (exit 2) that the file source keeps.
    const text = '# never block\r\n8.8.8.8  # resolver\r9.9.9.0/24\tquad9\n';
    const variants = [Buffer.from(`\uFEFF${text}`), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])];
    for (const bytes of variants) {
      const path = tempFile('list.txt', '');
      writeFileSync(path, bytes);
      const fromSource: string[] = [];
      for await (const page of new FileSource({ name: 'l', kind: 'file', path, targets: ['t'] }).pages()) fromSource.push(...page.indicators.map((i) => i.value));
      expect(fromSource).toEqual(['8.8.8.8', '9.9.9.0/24']);
      const asFile = await runCli(['ranges', 'merge', path]);
      expect([asFile.code, asFile.stdout]).toEqual([0, '8.8.8.8/32\n9.9.9.0/24\n']);
      const asNeverBlock = await runCli(['ranges', 'merge', '--never-block', path], { input: '8.8.8.8\n9.9.9.9\n1.1.1.1\n' });
      expect([asNeverBlock.code, asNeverBlock.stdout]).toEqual([0, '1.1.1.1/32\n']);
      expect(asNeverBlock.stderr).toMatch(/1 CIDRs out \(IPv4 1, IPv6 0\), never-block list of 2\n$/);
    }
  });

  it('exits 2 on usage errors with a message naming the problem', async () => {
    const bad = [
      [['ranges', 'merge', '--min-prefix-v4', '33'], /--min-prefix-v4: expected an integer from 0 to 32, got "33"/],
      [['ranges', 'merge', '--min-prefix-v6', 'x'], /--min-prefix-v6: expected an integer from 0 to 128/],
      [['ranges', 'merge', '/nonexistent/feed.txt'], /cannot read \/nonexistent\/feed\.txt: ENOENT/],
      [['ranges', 'merge', '--never-block', '/nonexistent/nb.txt'], /--never-block: cannot read/],
      [['ranges', 'merge', '--never-block', tempFile('nb.txt', '8.8.8.8\nnot-a-cidr\n')], /line 2: "not-a-cidr" is not a CIDR \(NOT_AN_ADDRESS\)/],
      [['ranges', 'merge', 'a', 'b'], /too many arguments/],
      [['ranges', 'merge', '--bogus'], /unknown option/],
    ] as const;
    for (const [args, message] of bad) {
      const r = await runCli([...args], { input: '' });
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('streams large input: no final newline, an over-long line rejected without being kept', async () => {
    const many = Array.from({ length: 50_000 }, (_, i) => `8.${(i >> 8) & 255}.${i & 255}.${i % 7}`).join('\n');
    const input = `${'9'.repeat(3_000_000)}\n${many}\n8.8.8.8`;
    const r = await runCli(['ranges', 'merge'], { input });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toMatch(/^line 1: 9{80,200}…: NOT_AN_ADDRESS$/);
    expect(r.stderr).toMatch(/50002 lines, 50001 accepted, 1 rejected/);
    expect(r.stdout.split('\n')).toContain('8.8.8.8/32');
  });

  it("applies the service's floors by default and cuts merged blocks back to them (no 2.0.0.0/7)", async () => {
    const { minPrefixV4: f4, minPrefixV6: f6 } = DEFAULT_RANGE_OPTIONS;
    // Two sibling blocks at the floor merge into one block one bit broader than the floor.
    const v4a = formatIPv4Cidr(2 * 2 ** 24, f4);
    const v4b = formatIPv4Cidr(2 * 2 ** 24 + 2 ** (32 - f4), f4);
    const base6 = 0x2600n << 112n;
    const v6a = `${formatIPv6BigInt(base6)}/${f6}`;
    const v6b = `${formatIPv6BigInt(base6 + (1n << BigInt(128 - f6)))}/${f6}`;
    const tooBroad4 = formatIPv4Cidr(4 * 2 ** 24, f4 - 1);
    const r = await runCli(['ranges', 'merge'], { input: `${v4a}\n${v4b}\n${v6a}\n${v6b}\n${tooBroad4}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${v4a}\n${v4b}\n${v6a}\n${v6b}\n`);
    expect(r.stderr).toContain(`line 5: ${tooBroad4}: PREFIX_TOO_BROAD`);
    // The flags override the floors, and the cut follows them.
    const wide = await runCli(['ranges', 'merge', '--min-prefix-v4', '8'], { input: '2.0.0.0/8\n3.0.0.0/8\n' });
    expect(wide.stdout).toBe('2.0.0.0/8\n3.0.0.0/8\n');
  });

  it('reads lines by the file source rules: trailing comments, CR-only line ends, UTF-16 with or without BOM', async () => {
    const commented = await runCli(['ranges', 'merge'], { input: '8.8.8.8  # resolver\n1.1.1.1\tcloudflare\n' });
    expect(commented.stdout).toBe('1.1.1.1/32\n8.8.8.8/32\n');
    expect(commented.stderr).toMatch(/2 accepted, 0 rejected/);

    const cr = await runCli(['ranges', 'merge'], { input: '# old mac\r1.1.1.1\r9.9.9.9\r2606:4700::1\r' });
    expect(cr.stdout).toBe('1.1.1.1/32\n9.9.9.9/32\n2606:4700::1/128\n');
    expect(cr.stderr).toMatch(/^ranges merge: 4 lines, 3 accepted, 0 rejected, 1 blank or comment/m);

    const text = '# feed\r\n1.1.1.1\r\n9.9.9.9 # quad9\r\n2606:4700::1\r\n';
    const le = tempFile('le.txt', '');
    writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const be = tempFile('be.txt', '');
    writeFileSync(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    const noBom = tempFile('nobom.txt', '');
    writeFileSync(noBom, Buffer.from(text, 'utf16le'));
    for (const [file, enc] of [[le, 'UTF-16LE'], [be, 'UTF-16BE'], [noBom, 'UTF-16LE']] as const) {
      const r = await runCli(['ranges', 'merge', file]);
      expect([file, r.stdout]).toEqual([file, '1.1.1.1/32\n9.9.9.9/32\n2606:4700::1/128\n']);
      expect(r.stderr).toContain(`input decoded as ${enc}`);
      expect(r.stderr).toMatch(/4 lines, 3 accepted, 0 rejected, 1 blank or comment/);
    }
  });

  it('escapes terminal control characters of rejected input (C0, C1 CSI, bidi overrides)', async () => {
    const r = await runCli(['ranges', 'merge'], { input: '\u001b]0;owned\u0007\n\u009b31mred\n\u202eevil\n' });
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(r.stderr).toContain('line 1: \\x1b]0;owned\\x07: NOT_AN_ADDRESS');
    expect(r.stderr).toContain('line 2: \\x9b31mred: NOT_AN_ADDRESS');
    expect(r.stderr).toContain('line 3: \\u{202E}evil: NOT_AN_ADDRESS');
  });

  it('writes rejection lines with backpressure: a slowly read stderr does not make it buffer', async () => {
    const n = 60_000;
    const junk = 'x'.repeat(190);
    const file = tempFile('junk.txt', Array.from({ length: n }, (_, i) => `${junk}${i}`).join('\n'));
    const child = spawn(process.execPath, [BIN, 'ranges', 'merge', file], {
      env: { ...process.env, TQ_ENTRA_DEBUG_STDERR_PEAK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    // A slow reader: after every chunk, stop reading for 10 ms (about 6 MB/s at most, far slower than the
    // merge produces its ~13 MB). Flowing mode with pause/resume delivers every byte, the last ones too.
    const parts: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      child.stderr.pause();
      setTimeout(() => child.stderr.resume(), 10);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const stderr = Buffer.concat(parts).toString('utf8');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr.split('\n').filter((l) => l.startsWith('line ')).length).toBe(n);
    const peak = Number(/stderr buffer peak (\d+) bytes/.exec(stderr)?.[1] ?? NaN);
    // Unbounded buffering would hold most of the ~13 MB of rejection lines; with backpressure it is
    // about one 64 KiB batch.
    expect(peak).toBeLessThan(1 << 20);
  }, 60_000);
});
