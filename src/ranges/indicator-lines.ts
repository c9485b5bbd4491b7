/**
 * The one reader of indicator lines, shared by the file source (`kind: file`), `tq-entra ranges
 * merge` and `plan`/`apply --indicators`. Rules:
 *
 * - Encoding: UTF-8 (a UTF-8 BOM is ignored). UTF-16 is decoded: a BOM FF FE (little-endian) or
 *   FE FF (big-endian), or, without a BOM, a start where at least a quarter of the first 4 KiB are
 *   NUL bytes, nearly all on odd (LE) or even (BE) offsets (how Windows tools such as PowerShell's
 *   `Out-File` write text). The encoding found is reported (`encoding`) so callers can say so.
 * - Line ends: LF, CRLF and a lone CR (old Mac style) all end a line.
 * - A line longer than MAX_LINE_BYTES is not kept: the caller is told its number and first 80
 *   characters (`overlong`) and the rest of it is skipped.
 * - Per line (parseIndicatorLine): blank lines and lines whose first non-blank character is `#` are
 *   skipped; otherwise the value is the first whitespace-separated token (the rest is a comment, so
 *   `198.51.100.7  # scanner` and `198.51.100.7 scanner` both give 198.51.100.7). Whitespace and a BOM
 *   around it are trimmed.
 *
 * IndicatorLineSplitter turns byte chunks into runs of whole lines (UTF-8, each ending in LF except
 * possibly the last at end of input), for a consumer that parses bytes directly (the range
 * accumulator's fast path, indicator-merge.ts); forEachIndicatorValue reads values out of such a run
 * as strings. IndicatorValueReader is the two together, for consumers that want each value as a
 * string with its line number (the file source); indicatorValuesOf reads a whole small input that
 * way (a `--never-block` file).
 */

/** Longest line kept (bytes, after UTF-16 decoding); a longer one is reported and skipped. */
export const MAX_LINE_BYTES = 64 * 1024;

export type LineEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The indicator value on a line, or undefined for blank and comment lines. */
export function parseIndicatorLine(line: string): string | undefined {
  const text = line.replace(/^\uFEFF/, '').trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const token = text.split(/\s+/, 1)[0];
  return token === undefined || token === '' ? undefined : token.replace(/^\uFEFF+|\uFEFF+$/g, '');
}

export interface LineRunSink {
  /**
   * Whole lines in bytes[from, to): `to` is just after an LF, or the end of input. `firstLine` is the
   * 1-based number of the first line. Returns how many lines the run held. The bytes are only valid
   * during the call.
   */
  lines(bytes: Uint8Array, from: number, to: number, firstLine: number): number;
  /** Line `line` was longer than MAX_LINE_BYTES; `head` is its first 80 characters. */
  overlong(line: number, head: string): void;
}

const utf8 = new TextDecoder('utf-8');

/** Guess UTF-16 without a BOM: many NULs, nearly all on one parity. */
function sniffUtf16(b: Uint8Array): LineEncoding {
  const n = Math.min(b.length, 4096) & ~1;
  if (n < 4) return 'utf-8';
  let odd = 0;
  let even = 0;
  for (let i = 0; i < n; i++) {
    if (b[i] === 0) {
      if (i & 1) odd++;
      else even++;
    }
  }
  if (odd + even < n / 4) return 'utf-8';
  if (odd >= 0.9 * (odd + even)) return 'utf-16le';
  if (even >= 0.9 * (odd + even)) return 'utf-16be';
  return 'utf-8';
}

export class IndicatorLineSplitter {
  /** Decided from the first bytes; 'utf-8' until then. */
  encoding: LineEncoding = 'utf-8';
  /** Lines seen so far (the number of the last complete line). */
  lineCount = 0;
  private decided = false;
  private head: Uint8Array | undefined; // bytes held until the encoding is decided
  private decoder: InstanceType<typeof TextDecoder> | undefined;
  private carry: Uint8Array | undefined;
  private skipping = false; // inside an over-long line

  constructor(private readonly sink: LineRunSink) {}

  /** Feed the next chunk of input (the splitter may modify it in place). */
  push(chunk: Uint8Array): void {
    if (!this.decided) {
      const b = this.head ? concat(this.head, chunk) : chunk;
      if (b.length < 4) {
        this.head = b.slice();
        return;
      }
      this.head = undefined;
      this.decide(b);
      chunk = b;
    }
    if (this.decoder) chunk = Buffer.from(this.decoder.decode(chunk, { stream: true }), 'utf8');
    this.feed(chunk, false);
  }

  /** End of input: the last line (without a final newline) is delivered. */
  end(): void {
    if (!this.decided) {
      const b = this.head ?? new Uint8Array(0);
      this.head = undefined;
      this.decide(b);
      // (TextDecoder drops a UTF-16 BOM itself.)
      this.feed(this.decoder ? Buffer.from(this.decoder.decode(b), 'utf8') : b, true);
      return;
    }
    if (this.decoder) this.feed(Buffer.from(this.decoder.decode(), 'utf8'), true);
    else this.feed(new Uint8Array(0), true);
  }

  private decide(b: Uint8Array): void {
    this.decided = true;
    if (b[0] === 0xff && b[1] === 0xfe) this.encoding = 'utf-16le';
    else if (b[0] === 0xfe && b[1] === 0xff) this.encoding = 'utf-16be';
    else this.encoding = sniffUtf16(b);
    if (this.encoding !== 'utf-8') this.decoder = new TextDecoder(this.encoding);
  }

  private feed(chunk: Uint8Array, last: boolean): void {
    const buf = this.carry ? concat(this.carry, chunk) : chunk;
    this.carry = undefined;
    // A lone CR ends a line: make it an LF (a CR as the very last byte waits for the next chunk).
    lonelyCrToLf(buf, last);
    let pos = 0;
    if (this.skipping) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (last) this.skipping = false;
        return;
      }
      pos = nl + 1;
      this.skipping = false;
    }
    const lastNl = buf.lastIndexOf(10);
    if (lastNl >= pos) {
      this.lineCount += this.sink.lines(buf, pos, lastNl + 1, this.lineCount + 1);
      pos = lastNl + 1;
    }
    if (pos >= buf.length) return;
    if (buf.length - pos > MAX_LINE_BYTES) {
      this.lineCount++;
      this.sink.overlong(this.lineCount, utf8.decode(buf.subarray(pos, pos + 80)));
      this.skipping = !last;
      return;
    }
    if (last) {
      // A lone CR at the very end was converted above; deliver what is left as the last line.
      this.lineCount += this.sink.lines(buf, pos, buf.length, this.lineCount + 1);
      return;
    }
    this.carry = Buffer.from(buf.subarray(pos)); // a copy: the chunk's memory may be reused by the reader
  }
}

function concat(a: Uint8Array, b: Uint8Array): Buffer {
  return Buffer.concat([a, b]);
}

/** In place: every CR not followed by LF becomes LF (except a CR ending `buf` when more input follows). */
function lonelyCrToLf(buf: Uint8Array, last: boolean): void {
  let i = buf.indexOf(13);
  while (i >= 0) {
    if (i + 1 < buf.length) {
      if (buf[i + 1] !== 10) buf[i] = 10;
    } else if (last) buf[i] = 10;
    i = buf.indexOf(13, i + 1);
  }
}

/**
 * Call `value` for each indicator line of bytes[from, to) (a run given to LineRunSink.lines), with
 * its 1-based line number; `skipped` for blank and comment lines. Returns the number of lines.
 */
export function forEachIndicatorValue(
  bytes: Uint8Array,
  from: number,
  to: number,
  firstLine: number,
  value: (text: string, line: number) => void,
  skipped?: (line: number) => void,
): number {
  let n = 0;
  let i = from;
  while (i < to) {
    const nl = bytes.indexOf(10, i);
    const stop = nl < 0 || nl >= to ? to : nl;
    const v = parseIndicatorLine(utf8.decode(bytes.subarray(i, stop)));
    if (v === undefined) skipped?.(firstLine + n);
    else value(v, firstLine + n);
    n++;
    i = stop + 1;
  }
  return n;
}

/** What IndicatorValueReader reports. */
export interface IndicatorValueSink {
  /** The value of a line that holds one (the first token; see parseIndicatorLine), 1-based line number. */
  value(text: string, line: number): void;
  /** Line `line` was longer than MAX_LINE_BYTES and was skipped; `head` is its first 80 characters. */
  overlong(line: number, head: string): void;
  /** A blank or comment line. */
  skipped?(line: number): void;
}

/** The line reader for consumers that want values as strings: bytes in, (value, line) out. */
export class IndicatorValueReader {
  private readonly splitter: IndicatorLineSplitter;

  constructor(sink: IndicatorValueSink) {
    const skipped = sink.skipped?.bind(sink);
    this.splitter = new IndicatorLineSplitter({
      lines: (buf, from, to, first) => forEachIndicatorValue(buf, from, to, first, (text, line) => sink.value(text, line), skipped),
      overlong: (line, head) => sink.overlong(line, head),
    });
  }

  /** Feed the next chunk of input (it may be modified in place). */
  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  /** End of input: the last line (without a final newline) is delivered. */
  end(): void {
    this.splitter.end();
  }

  get encoding(): LineEncoding {
    return this.splitter.encoding;
  }

  /** Lines read so far. */
  get lines(): number {
    return this.splitter.lineCount;
  }
}

/** One value of indicatorValuesOf; `cut` for an over-long line, whose `text` is its first 80 characters. */
export interface LineValue {
  line: number;
  text: string;
  cut: boolean;
}

/** Every value of a whole input held in memory (a small file: a never-block list), in line order. */
export function indicatorValuesOf(bytes: Uint8Array): { values: LineValue[]; encoding: LineEncoding } {
  const values: LineValue[] = [];
  const reader = new IndicatorValueReader({
    value: (text, line) => values.push({ line, text, cut: false }),
    overlong: (line, head) => values.push({ line, text: head, cut: true }),
  });
  reader.push(Uint8Array.from(bytes)); // a copy: the reader converts lone CRs in place
  reader.end();
  return { values, encoding: reader.encoding };
}
