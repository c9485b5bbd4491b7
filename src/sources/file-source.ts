/**
 * A plain-text file as an IndicatorSource (`kind: file`).
 *
 * Format: one indicator per line. Blank lines and lines whose first non-blank character is `#` are
 * ignored; a trailing ` # comment` (a `#` preceded by whitespace) is stripped, so lists annotated like
 * `198.51.100.7  # scanner` work. Surrounding whitespace, a UTF-8 BOM and CRLF line ends are removed.
 * Only the first whitespace-separated token of a line is the value (the rest is taken as a comment).
 * Each indicator: id `line:N` (1-based physical line number, stable while the file does not change),
 * collection = the path, status/score/updatedAt unknown (undefined / null), type inferred from the value
 * (`IP Address`, `IPv6 Address`, `CIDR Block` when it has a `/`), undefined when the value is not an
 * address: such lines flow downstream, which rejects them with a reason code.
 * Streaming: read with a line reader and emitted in pages of `pageSize` lines (default 5000), so memory
 * does not grow with the file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import type { FileSourceConfig } from '../config/schema.ts';
import { FileSourceError } from './file-source-error.ts';
import { SourceAbortedError } from './source-aborted-error.ts';
import type { IndicatorSource, IndicatorType, SourceIndicator, SourcePage } from './source-types.ts';
import { combineSignals } from './threatq-source.ts';

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

/** The indicator value on a line, or undefined for blank and comment lines. */
export function parseIndicatorLine(line: string): string | undefined {
  const text = line.replace(/^\uFEFF/, '').trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const token = text.split(/\s+/, 1)[0];
  return token === undefined || token === '' ? undefined : token;
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
    const stream = createReadStream(this.collection, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let lineNo = 0;
    let page = 0;
    let batch: SourceIndicator[] = [];
    const emit = (): SourcePage => {
      const out = { page: ++page, indicators: batch, seen: batch.length, filtered: {}, total: undefined };
      batch = [];
      return out;
    };
    try {
      for await (const line of lines) {
        lineNo++;
        const value = parseIndicatorLine(line);
        if (value === undefined) continue;
        batch.push({ value, type: inferIndicatorType(value), status: undefined, score: null, updatedAt: null, id: `line:${lineNo}`, source: this.source, collection: this.collection });
        if (batch.length >= this.pageSize) {
          if (combined?.aborted) throw new SourceAbortedError(this.source, this.collection, { cause: combined.reason });
          yield emit();
        }
      }
    } catch (e) {
      if (e instanceof SourceAbortedError) throw e;
      throw new FileSourceError(this.source, this.collection, (e as NodeJS.ErrnoException).code ?? (e as Error).message, { cause: e });
    } finally {
      lines.close();
      stream.destroy();
    }
    if (combined?.aborted) throw new SourceAbortedError(this.source, this.collection, { cause: combined.reason });
    if (batch.length > 0) yield emit();
  }
}
