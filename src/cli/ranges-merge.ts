/**
 * `tq-entra ranges merge [FILE]`: merge indicators (one per line, FILE or stdin) into the minimal CIDR
 * list, with the same rules as the service (src/ranges).
 *
 * - stdout: the merged canonical CIDRs, one per line, IPv4 ascending then IPv6 ascending, nothing else.
 * - stderr: one line per rejected input, `line N: <input>: <REASON>` (the input escaped by
 *   printableText), then a one-line summary. Written with backpressure: a slow reader of stderr slows
 *   the merge instead of making it buffer.
 * - Lines of FILE and of the --never-block file are read by the range engine's one line reader (the
 *   file source's rules): blank lines and `#` comments skipped (counted in the summary, not rejected),
 *   the first token of a line is the value (`8.8.8.8  # resolver` is 8.8.8.8), UTF-16 decoded, CR-only
 *   line ends.
 * - The output is what the service would block: floors from the configuration defaults
 *   (src/ranges/range-options.ts; --min-prefix-v4/-v6 override), and blocks that merging makes broader
 *   than the floor cut back to it, as reconcile does (never broader than Graph's /8); --no-split
 *   prints the exact merge instead.
 * - Exit 0 when it ran (rejections included), 2 on usage errors (bad option value, unreadable FILE or
 *   never-block file, an invalid never-block line), 1 when reading fails midway.
 * - Streams: input is read in 1 MiB chunks (synchronous reads) and parsed from the bytes; memory follows the number of
 *   distinct ranges, not the input size (a line longer than 64 KiB is rejected as NOT_AN_ADDRESS
 *   without being kept).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import {
  DEFAULT_RANGE_OPTIONS,
  IndicatorMerge,
  REJECT_CODES,
  WARNING_CODE_LIST,
  cidrLineChunks,
  indicatorValuesOf,
  inferIndicatorType,
  printableText,
  serviceSplitFloors,
  storeOf,
  type CidrStore,
  type CodeTally,
  type RangeOptions,
} from '../ranges/index.ts';
import type { CommandContext } from './command-context.ts';

/** Input is fed to the merge in slices of this size, with a chance to wait for stderr between them. */
const SLICE_BYTES = 16 * 1024;

export interface RangesMergeOptions {
  allowReserved?: boolean;
  minPrefixV4: string;
  minPrefixV6: string;
  neverBlock?: string;
  /** false with --no-split: print the exact merge, blocks broader than the floor included. */
  split?: boolean;
}

export function registerRangesMergeCommand(program: Command, ctx: CommandContext): void {
  const ranges = program.commands.find((c) => c.name() === 'ranges') ?? program.command('ranges').description('work with IP ranges');
  ranges
    .command('merge')
    .description('merge indicators (one per line) into the minimal list of CIDRs; rejections go to stderr')
    .argument('[file]', 'input file, one indicator per line (default or "-": stdin)')
    .option('--allow-reserved', 'keep reserved and special-purpose space (refused by default)')
    .option('--min-prefix-v4 <n>', 'refuse IPv4 CIDRs broader than /n (0-32); merged blocks are cut back to it (never broader than /8)', String(DEFAULT_RANGE_OPTIONS.minPrefixV4))
    .option('--min-prefix-v6 <n>', 'refuse IPv6 CIDRs broader than /n (0-128); merged blocks are cut back to it (never broader than /8)', String(DEFAULT_RANGE_OPTIONS.minPrefixV6))
    .option('--never-block <file>', 'CIDRs (one per line) removed from the result')
    .option('--no-split', 'print the exact merge: do not cut merged blocks back to the floor')
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

/**
 * The --never-block file, read by the shared line reader; every value must be a CIDR or address (else
 * a usage error naming the line).
 */
function readNeverBlock(path: string): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--never-block: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return indicatorValuesOf(bytes).values.map(({ line, text, cut }) => {
    const reason = cut ? 'NOT_AN_ADDRESS' : inferIndicatorType(text).reason;
    if (reason !== undefined) throw new UsageError(`--never-block ${path} line ${line}: "${printableText(text)}${cut ? '…' : ''}" is not a CIDR (${reason})`);
    return text;
  });
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
  const neverBlock = opts.neverBlock === undefined ? undefined : readNeverBlock(opts.neverBlock);
  const input = openInput(file);
  const err = new StderrWriter();
  const merge = await mergeInput(input, { minPrefixV4, minPrefixV6, allowReserved: opts.allowReserved === true }, err);
  if (merge.encoding !== 'utf-8') await err.write(`ranges merge: input decoded as ${merge.encoding.toUpperCase()}\n`);

  const floors = opts.split === false ? { v4: 0, v6: 0 } : serviceSplitFloors(minPrefixV4, minPrefixV6);
  const store = merge.finalStore(neverBlock && neverBlock.length > 0 ? storeOf(neverBlock) : undefined, floors);
  await writeCidrs(store);
  await err.write(summaryLine(merge, store, neverBlock));
  if (process.env['TQ_ENTRA_DEBUG_STDERR_PEAK'] === '1') await err.write(`ranges merge: stderr buffer peak ${err.peak} bytes\n`);
  return 0;
}

interface MergeInput {
  fd: number;
  fromStdin: boolean;
}

/** FILE (a usage error when it cannot be opened), or stdin for none or "-". */
function openInput(file: string | undefined): MergeInput {
  if (file === undefined || file === '-') return { fd: 0, fromStdin: true };
  try {
    return { fd: openSync(file, 'r'), fromStdin: false };
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Read the whole input through an IndicatorMerge, writing rejection lines to stderr as it goes. */
async function mergeInput(input: MergeInput, options: RangeOptions, err: StderrWriter): Promise<IndicatorMerge> {
  let errText = '';
  const merge = new IndicatorMerge(options, {
    rejected: (line, value, code, cut) => (errText += `line ${line}: ${printableText(value)}${cut ? '…' : ''}: ${code}\n`),
  });
  // A progress bar only when stderr is a terminal: otherwise stderr carries exactly the rejection
  // lines and the summary (scripts parse it).
  const total = input.fromStdin ? undefined : fstatSync(input.fd).size;
  const progress = process.stderr.isTTY ? (await import('./progress.ts')).createProgress({ label: 'merging', unit: 'bytes', ...(total === undefined ? {} : { total }) }) : undefined;
  let bytesRead = 0;
  for await (const chunk of inputChunks(input.fd)) {
    // In slices, so that the rejection text waiting to be written stays small (each input byte can
    // make ~16 bytes of it: "x\n" → "line 123456: x: NOT_AN_ADDRESS\n").
    for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
      merge.push(chunk.subarray(at, at + SLICE_BYTES));
      if (!progress && errText.length > 1 << 16) {
        // Backpressure: a slow reader of stderr slows the merge down instead of growing a buffer.
        await err.write(errText);
        errText = '';
      }
    }
    bytesRead += chunk.length;
    if (progress) {
      if (errText) progress.log(errText.trimEnd());
      errText = '';
      progress.update(bytesRead);
    }
  }
  merge.end();
  progress?.done();
  if (!input.fromStdin) closeSync(input.fd);
  if (errText) await err.write(errText);
  return merge;
}

/** The merged CIDRs to stdout, one per line, with backpressure. */
async function writeCidrs(store: CidrStore): Promise<void> {
  const out = process.stdout;
  out.on('error', () => undefined); // a closed pipe (| head) is not our failure
  for (const chunk of cidrLineChunks(store)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
}

/** The one-line summary that ends stderr. */
function summaryLine(merge: IndicatorMerge, store: CidrStore, neverBlock: string[] | undefined): string {
  const acc = merge.acc;
  const byCode = (codes: readonly string[], tallies: Partial<Record<string, CodeTally>>): string =>
    codes
      .filter((c) => tallies[c])
      .map((c) => `${c} ${tallies[c]?.count ?? 0}`)
      .join(', ');
  const rejText = byCode(REJECT_CODES, acc.rejections());
  const warn = acc.warnings();
  const warnCount = Object.values(warn).reduce((n, t) => n + (t?.count ?? 0), 0);
  const warnText = byCode(WARNING_CODE_LIST, warn);
  const v4Out = store.sizeV4;
  const v6Out = store.sizeV6;
  return (
    `ranges merge: ${merge.lines} lines, ${acc.accepted} accepted, ${acc.rejected} rejected${rejText ? ` (${rejText})` : ''}, ` +
    `${merge.skipped} blank or comment, ${warnCount} warnings${warnText ? ` (${warnText})` : ''}; ` +
    `${v4Out + v6Out} CIDRs out (IPv4 ${v4Out}, IPv6 ${v6Out})${neverBlock ? `, never-block list of ${neverBlock.length}` : ''}\n`
  );
}

/**
 * Writes to stderr with backpressure: each write waits for 'drain' when the stream's buffer is full,
 * so a slow reader (a pipe into `less`, a log shipper) never makes this process buffer the whole
 * rejection output. `peak` is the largest stderr buffer seen (TQ_ENTRA_DEBUG_STDERR_PEAK=1 prints it;
 * the tests read it).
 */
class StderrWriter {
  peak = 0;
  async write(text: string): Promise<void> {
    const ok = process.stderr.write(text);
    this.peak = Math.max(this.peak, process.stderr.writableLength);
    if (!ok) await once(process.stderr, 'drain');
  }
}
