/**
 * A plain-text file as an IndicatorSource (`kind: file`).
 *
 * Lines are read by the range engine's one line reader (IndicatorValueReader, src/ranges), the same as
 * `tq-entra ranges merge` (input and `--never-block` file) and `plan --indicators`: one indicator per
 * line; blank lines and `#` comment lines ignored; the first whitespace-separated token is the value
 * (`198.51.100.7  # scanner` gives 198.51.100.7); whitespace and a BOM trimmed; LF, CRLF or CR line
 * ends; UTF-16 (with a BOM, or recognised by its NUL bytes) decoded.
 * Each indicator: id `line:N` (1-based physical line number, stable while the file does not change),
 * collection = the path, status/score/updatedAt unknown (undefined / null), type inferred from the value
 * by the range engine (inferIndicatorType: `CIDR Block` when it has a prefix, else `IP Address` or
 * `IPv6 Address`), undefined when the value is not an address: such lines flow downstream, which
 * rejects them with a reason code.
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
import type { FileSourceConfig } from '../config/schema.ts';
import { IndicatorValueReader, inferIndicatorType } from '../ranges/index.ts';
import { FileSourceError } from './errors/file-source-error.ts';
import { SourceNotBlocklistError } from './errors/source-not-blocklist-error.ts';
import { SourceAbortedError } from '../errors/source-aborted-error.ts';
import type { IndicatorSource, SourceIndicator, SourcePage } from './source-types.ts';
import { combineSignals } from './combine-signals.ts';

/** Fewest value lines read before a file can be refused as not a block list. */
export const NOT_A_BLOCKLIST_MIN_VALUES = 20;
/** Refused when more than this fraction of the value lines read are not addresses at all. */
export const NOT_A_BLOCKLIST_FRACTION = 0.5;

export const DEFAULT_FILE_PAGE_SIZE = 5000;

export interface FileSourceOptions {
  signal?: AbortSignal | undefined;
  pageSize?: number | undefined;
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
    await this.requireRegularFile();
    const pager = new FilePager(this.source, this.collection, this.pageSize);
    const stream = createReadStream(this.collection);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        pager.push(chunk);
        while (pager.hasFullPage()) {
          pager.check();
          this.throwIfAborted(combined);
          yield pager.emit();
        }
      }
      pager.end();
    } catch (e) {
      if (e instanceof SourceAbortedError || e instanceof SourceNotBlocklistError) throw e;
      throw this.readError(e);
    } finally {
      stream.destroy();
    }
    this.throwIfAborted(combined);
    pager.check();
    while (pager.hasFullPage()) yield pager.emit();
    if (pager.pending > 0) yield pager.emit();
  }

  /** ERR_SOURCE_FILE_READ unless the path is a readable regular file. */
  private async requireRegularFile(): Promise<void> {
    let isFile: boolean;
    try {
      isFile = (await stat(this.collection)).isFile();
    } catch (e) {
      throw this.readError(e);
    }
    if (!isFile) throw new FileSourceError(this.source, this.collection, 'not a regular file');
  }

  private readError(e: unknown): FileSourceError {
    return new FileSourceError(this.source, this.collection, (e as NodeJS.ErrnoException).code ?? (e as Error).message, { cause: e });
  }

  private throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new SourceAbortedError(this.source, this.collection, { cause: signal.reason });
  }
}

/**
 * The file's lines as pages: values from the shared line reader, typed by the range engine, batched
 * into pages of `pageSize`; counts the value lines that are not addresses at all for check().
 */
class FilePager {
  private readonly reader: IndicatorValueReader;
  private batch: SourceIndicator[] = [];
  private page = 0;
  private values = 0;
  private notAddresses = 0;

  constructor(
    private readonly source: string,
    private readonly collection: string,
    private readonly pageSize: number,
  ) {
    this.reader = new IndicatorValueReader({
      value: (value, line) => {
        const inferred = inferIndicatorType(value);
        this.count(inferred.reason === 'NOT_AN_ADDRESS');
        this.batch.push(this.indicator(value, inferred.type, line));
      },
      // Downstream rejects it as NOT_AN_ADDRESS; only its start is kept.
      overlong: (line, head) => {
        this.count(true);
        this.batch.push(this.indicator(`${head}…`, undefined, line));
      },
    });
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  end(): void {
    this.reader.end();
  }

  get pending(): number {
    return this.batch.length;
  }

  hasFullPage(): boolean {
    return this.batch.length >= this.pageSize;
  }

  /** ERR_SOURCE_NOT_A_BLOCKLIST once enough value lines are read and most are not addresses. */
  check(): void {
    if (this.values >= NOT_A_BLOCKLIST_MIN_VALUES && this.notAddresses > this.values * NOT_A_BLOCKLIST_FRACTION) {
      throw new SourceNotBlocklistError(this.source, this.collection, this.notAddresses, this.values);
    }
  }

  /** The next page: up to `pageSize` indicators, in line order. */
  emit(): SourcePage {
    const indicators = this.batch.slice(0, this.pageSize);
    this.batch = this.batch.slice(this.pageSize);
    return { page: ++this.page, indicators, seen: indicators.length, filtered: {}, total: undefined };
  }

  private count(notAnAddress: boolean): void {
    this.values++;
    if (notAnAddress) this.notAddresses++;
  }

  private indicator(value: string, type: SourceIndicator['type'], line: number): SourceIndicator {
    return { value, type, status: undefined, score: null, updatedAt: null, id: `line:${line}`, source: this.source, collection: this.collection };
  }
}
