/**
 * A plain-text file as an IndicatorSource (`kind: file`).
 *
 * Lines are read by the range engine's one line reader (src/ranges/indicator-lines.ts), the same as
 * `tq-entra ranges merge` and `plan --indicators`: one indicator per line; blank lines and `#` comment
 * lines ignored; the first whitespace-separated token is the value (`198.51.100.7  # scanner` gives
 * 198.51.100.7); whitespace and a BOM trimmed; LF, CRLF or CR line ends; UTF-16 (with a BOM, or
 * recognised by its NUL bytes) decoded.
 * Each indicator: id `line:N` (1-based physical line number, stable while the file does not change),
 * collection = the path, status/score/updatedAt unknown (undefined / null), type inferred from the value
 * (`IP Address`, `IPv6 Address`, `CIDR Block` when it has a `/`), undefined when the value is not an
 * address: such lines flow downstream, which rejects them with a reason code.
 *
 * Not a block list: when at least NOT_A_BLOCKLIST_MIN_VALUES value lines have been read and more than
 * NOT_A_BLOCKLIST_FRACTION (half) of them are not addresses at all (the range engine's NOT_AN_ADDRESS:
 * not a mistyped address such as 256.1.1.1, but words, paths, keys), the source fails with
 * ERR_SOURCE_NOT_A_BLOCKLIST naming the file, before the page that tipped it is emitted: the first page
 * holds up to `pageSize` (5000) lines, so a file that is wrong from the start contributes nothing, and
 * nothing of it is kept as rejection examples. The check runs on every page (cumulative counts) and at
 * the end, so the run fails and the last good snapshot stays.
 * Streaming: read in chunks and emitted in pages of `pageSize` lines (default 5000), so memory does
 * not grow with the file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { FileSourceConfig } from '../config/schema.ts';
import { parseCidrSyntax } from '../ranges/cidr-syntax.ts';
import { forEachIndicatorValue, IndicatorLineSplitter } from '../ranges/indicator-lines.ts';
import { FileSourceError } from './errors/file-source-error.ts';
import { SourceNotBlocklistError } from './errors/source-not-blocklist-error.ts';
import { SourceAbortedError } from './errors/source-aborted-error.ts';
import type { IndicatorSource, IndicatorType, SourceIndicator, SourcePage } from './source-types.ts';
import { combineSignals } from './threatq-source.ts';

export { parseIndicatorLine } from '../ranges/indicator-lines.ts';

/** Fewest value lines read before a file can be refused as not a block list. */
export const NOT_A_BLOCKLIST_MIN_VALUES = 20;
/** Refused when more than this fraction of the value lines read are not addresses at all. */
export const NOT_A_BLOCKLIST_FRACTION = 0.5;

export const DEFAULT_FILE_PAGE_SIZE = 5000;

export interface FileSourceOptions {
  signal?: AbortSignal | undefined;
  pageSize?: number | undefined;
}

/** The type a bare value looks like, or undefined when it is not an address or CIDR. */
export function inferIndicatorType(value: string): IndicatorType | undefined {
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const prefix = value.slice(slash + 1);
    return isIP(value.slice(0, slash)) !== 0 && /^\d{1,3}$/.test(prefix) ? 'CIDR Block' : undefined;
  }
  const v = isIP(value);
  return v === 4 ? 'IP Address' : v === 6 ? 'IPv6 Address' : undefined;
}

export class FileSource implements IndicatorSource {
  readonly source: string;
  readonly collection: string;
  private readonly pageSize: number;

  constructor(
    config: FileSourceConfig,
    private readonly options: FileSourceOptions = {},
  ) {
    this.source = config.name;
    this.collection = config.path;
    this.pageSize = options.pageSize ?? DEFAULT_FILE_PAGE_SIZE;
  }

  async *pages(signal?: AbortSignal): AsyncGenerator<SourcePage> {
    const combined = combineSignals(signal, this.options.signal);
    try {
      const info = await stat(this.collection);
      if (!info.isFile()) throw new FileSourceError(this.source, this.collection, 'not a regular file');
    } catch (e) {
      if (e instanceof FileSourceError) throw e;
      throw new FileSourceError(this.source, this.collection, (e as NodeJS.ErrnoException).code ?? (e as Error).message, { cause: e });
    }
    const stream = createReadStream(this.collection);
    let page = 0;
    let batch: SourceIndicator[] = [];
    let values = 0;
    let notAddresses = 0;
    const splitter = new IndicatorLineSplitter({
      lines: (buf, from, to, first) =>
        forEachIndicatorValue(buf, from, to, first, (value, line) => {
          const type = inferIndicatorType(value);
          values++;
          if (type === undefined) {
            const syn = parseCidrSyntax(value);
            if (!syn.ok && syn.reason === 'NOT_AN_ADDRESS') notAddresses++;
          }
          batch.push({ value, type, status: undefined, score: null, updatedAt: null, id: `line:${line}`, source: this.source, collection: this.collection });
        }),
      // Downstream rejects it as NOT_AN_ADDRESS; only its start is kept.
      overlong: (line, head) => {
        values++;
        notAddresses++;
        batch.push({ value: `${head}…`, type: undefined, status: undefined, score: null, updatedAt: null, id: `line:${line}`, source: this.source, collection: this.collection });
      },
    });
    const check = (): void => {
      if (values >= NOT_A_BLOCKLIST_MIN_VALUES && notAddresses > values * NOT_A_BLOCKLIST_FRACTION) {
        throw new SourceNotBlocklistError(this.source, this.collection, notAddresses, values);
      }
    };
    const emit = (): SourcePage => {
      const out = { page: ++page, indicators: batch.slice(0, this.pageSize), seen: 0, filtered: {}, total: undefined };
      out.seen = out.indicators.length;
      batch = batch.slice(this.pageSize);
      return out;
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        splitter.push(chunk);
        while (batch.length >= this.pageSize) {
          check();
          if (combined?.aborted) throw new SourceAbortedError(this.source, this.collection, { cause: combined.reason });
          yield emit();
        }
      }
      splitter.end();
    } catch (e) {
      if (e instanceof SourceAbortedError || e instanceof SourceNotBlocklistError) throw e;
      throw new FileSourceError(this.source, this.collection, (e as NodeJS.ErrnoException).code ?? (e as Error).message, { cause: e });
    } finally {
      stream.destroy();
    }
    if (combined?.aborted) throw new SourceAbortedError(this.source, this.collection, { cause: combined.reason });
    check();
    while (batch.length >= this.pageSize) yield emit();
    if (batch.length > 0) yield emit();
  }
}
