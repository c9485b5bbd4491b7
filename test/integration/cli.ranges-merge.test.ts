import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

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
    expect(open.stdout).toBe('8.0.0.0/7\n10.0.0.0/23\n2600::/7\n');
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
});
