/**
 * `tq-entra ranges merge [FILE]`: merge indicators (one per line, FILE or stdin) into the minimal CIDR
 * list, with the same rules as the service (src/ranges).
 *
 * - stdout: the merged canonical CIDRs, one per line, IPv4 ascending then IPv6 ascending, nothing else.
 * - stderr: one line per rejected input, `line N: <input>: <REASON>`, then a one-line summary.
 * - Blank lines and lines starting with "#" are skipped (counted in the summary, not rejected).
 * - Exit 0 when it ran (rejections included), 2 on usage errors (bad option value, unreadable FILE or
 *   never-block file, an invalid never-block line), 1 when reading fails midway.
 * - Streams: input is read in 1 MiB chunks (synchronous reads) and parsed from the bytes; memory follows the number of
 *   distinct ranges, not the input size (a line that would need more than 1 MiB + 64 KiB of buffer is
 *   rejected as NOT_AN_ADDRESS without being kept).
 * Defaults match the configuration defaults: --min-prefix-v4 8, --min-prefix-v6 8, reserved refused.
 * The engine is imported when the command runs, so other subcommands do not pay for it.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import type { CommandContext } from './main.ts';

export interface RangesMergeOptions {
  allowReserved?: boolean;
  minPrefixV4: string;
  minPrefixV6: string;
  neverBlock?: string;
}

const MAX_LINE_BYTES = 64 * 1024;

export function registerRangesMergeCommand(program: Command, ctx: CommandContext): void {
  const ranges = program.commands.find((c) => c.name() === 'ranges') ?? program.command('ranges').description('work with IP ranges');
  ranges
    .command('merge')
    .description('merge indicators (one per line) into the minimal list of CIDRs; rejections go to stderr')
    .argument('[file]', 'input file, one indicator per line (default or "-": stdin)')
    .option('--allow-reserved', 'keep reserved and special-purpose space (refused by default)')
    .option('--min-prefix-v4 <n>', 'refuse IPv4 CIDRs broader than /n (0-32)', '8')
    .option('--min-prefix-v6 <n>', 'refuse IPv6 CIDRs broader than /n (0-128)', '8')
    .option('--never-block <file>', 'CIDRs (one per line) removed from the result')
    .action(async (file: string | undefined, opts: RangesMergeOptions) => {
      ctx.exitCode = await runRangesMerge(file, opts);
    });
}

function prefixOption(name: string, text: string, max: number): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > max) {
    throw new UsageError(`${name}: expected an integer from 0 to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Printable form of an input line for stderr: control characters escaped, cut at 200 characters. */
function shown(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

function readNeverBlock(path: string): Array<{ line: number; text: string }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--never-block: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const out: Array<{ line: number; text: string }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) out.push({ line: i + 1, text: line });
  });
  return out;
}

/**
 * The input in chunks of up to 1 MiB. Synchronous reads (no event-loop round trip per chunk); when
 * stdin is a non-blocking descriptor (EAGAIN) the rest is read through the process.stdin stream. A
 * chunk is only valid until the next one is requested.
 */
async function* inputChunks(fd: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EOF') return;
      if (code === 'EAGAIN' && fd === 0) {
        yield* process.stdin as AsyncIterable<Buffer>;
        return;
      }
      throw e;
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

export async function runRangesMerge(file: string | undefined, opts: RangesMergeOptions): Promise<number> {
  const minPrefixV4 = prefixOption('--min-prefix-v4', opts.minPrefixV4, 32);
  const minPrefixV6 = prefixOption('--min-prefix-v6', opts.minPrefixV6, 128);
  const [{ RangeAccumulator }, { parseCidrSyntax }, { cidrLineChunks }, { REJECT_CODES, WARNING_CODE_LIST }] = await Promise.all([
    import('../ranges/range-accumulator.ts'),
    import('../ranges/cidr-syntax.ts'),
    import('../ranges/cidr-line-chunks.ts'),
    import('../ranges/reason-codes.ts'),
  ]);

  const neverBlockLines = opts.neverBlock === undefined ? undefined : readNeverBlock(opts.neverBlock);
  for (const { line, text } of neverBlockLines ?? []) {
    const p = parseCidrSyntax(text);
    if (!p.ok) throw new UsageError(`--never-block ${opts.neverBlock} line ${line}: ${JSON.stringify(shown(text))} is not a CIDR (${p.reason})`);
  }
  const neverBlock = neverBlockLines?.map((l) => l.text);

  const fromStdin = file === undefined || file === '-';
  let fd = 0;
  if (!fromStdin) {
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  const acc = new RangeAccumulator({ minPrefixV4, minPrefixV6, allowReserved: opts.allowReserved === true });
  // A progress bar only when stderr is a terminal: otherwise stderr carries exactly the rejection
  // lines and the summary (scripts parse it).
  const total = fromStdin ? undefined : fstatSync(fd).size;
  const progress = process.stderr.isTTY ? (await import('../ops/progress.ts')).createProgress({ label: 'merging', unit: 'bytes', ...(total === undefined ? {} : { total }) }) : undefined;
  let bytesRead = 0;
  const decoder = new TextDecoder('utf-8');
  let lineNo = 0;
  let skipped = 0;
  let errText = '';
  let carry: Buffer | undefined;
  let overlong = false;

  const lineText = (buf: Uint8Array, from: number, to: number): string => decoder.decode(buf.subarray(from, to)).trim();
  // Whole lines only: `to` is just after a newline or the end of input.
  const addLines = (buf: Uint8Array, from: number, to: number): void => {
    const base = lineNo + 1;
    lineNo += acc.addLines(
      buf,
      from,
      to,
      (f, t, index) => {
        // Not a plain dotted quad: blank, comment, IPv6, whitespace, a BOM, junk.
        const text = lineText(buf, f, t);
        if (text === '' || text.startsWith('#')) {
          skipped++;
          return;
        }
        const reason = acc.add(text);
        if (reason !== null) errText += `line ${base + index}: ${shown(text)}: ${reason}\n`;
      },
      (reason, f, t, index) => {
        errText += `line ${base + index}: ${shown(lineText(buf, f, t))}: ${reason}\n`;
      },
    );
  };

  for await (const chunk of inputChunks(fd)) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let pos = 0;
    if (overlong) {
      // Still inside an over-long line: drop bytes up to its end.
      const nl = buf.indexOf(10);
      if (nl < 0) continue;
      pos = nl + 1;
      overlong = false;
    }
    const last = buf.lastIndexOf(10);
    if (last >= pos) {
      addLines(buf, pos, last + 1);
      pos = last + 1;
    }
    if (pos < buf.length) {
      if (buf.length - pos > MAX_LINE_BYTES) {
        lineNo++;
        const head = decoder.decode(buf.subarray(pos, pos + 80));
        acc.recordRejection('NOT_AN_ADDRESS', head);
        errText += `line ${lineNo}: ${shown(head)}…: NOT_AN_ADDRESS\n`;
        overlong = true;
      } else {
        carry = Buffer.from(buf.subarray(pos));
      }
    }
    bytesRead += chunk.length;
    if (progress) {
      if (errText) progress.log(errText.trimEnd());
      errText = '';
      progress.update(bytesRead);
    } else if (errText.length > 1 << 16) {
      process.stderr.write(errText);
      errText = '';
    }
  }
  progress?.done();
  if (!fromStdin) closeSync(fd);
  if (carry && carry.length > 0) addLines(carry, 0, carry.length);
  if (errText) process.stderr.write(errText);

  const store = acc.cidrStore();
  store.collapse();
  let v4Out = store.sizeV4;
  let v6Out = store.sizeV6;
  const out = process.stdout;
  out.on('error', () => undefined); // a closed pipe (| head) is not our failure
  if (neverBlock && neverBlock.length > 0) {
    const [{ storeOf }, { subtractStores }] = await Promise.all([import('../ranges/numeric-cidr.ts'), import('../ranges/subtract-cidrs.ts')]);
    const cidrs = subtractStores(store, storeOf(neverBlock));
    v6Out = cidrs.filter((c) => c.includes(':')).length;
    v4Out = cidrs.length - v6Out;
    for (let i = 0; i < cidrs.length; i += 10_000) {
      if (!out.write(`${cidrs.slice(i, i + 10_000).join('\n')}\n`)) await once(out, 'drain');
    }
  } else {
    for (const chunk of cidrLineChunks(store)) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }

  const rej = acc.rejections();
  const warn = acc.warnings();
  const byCode = (codes: readonly string[], tallies: Record<string, { count: number } | undefined>): string =>
    codes
      .filter((c) => tallies[c])
      .map((c) => `${c} ${tallies[c]?.count ?? 0}`)
      .join(', ');
  const rejText = byCode(REJECT_CODES, rej);
  const warnCount = Object.values(warn).reduce((n, t) => n + (t?.count ?? 0), 0);
  const warnText = byCode(WARNING_CODE_LIST, warn);
  process.stderr.write(
    `ranges merge: ${lineNo} lines, ${acc.accepted} accepted, ${acc.rejected} rejected${rejText ? ` (${rejText})` : ''}, ` +
      `${skipped} blank or comment, ${warnCount} warnings${warnText ? ` (${warnText})` : ''}; ` +
      `${v4Out + v6Out} CIDRs out (IPv4 ${v4Out}, IPv6 ${v6Out})${neverBlock ? `, never-block list of ${neverBlock.length}` : ''}\n`,
  );
  return 0;
}
