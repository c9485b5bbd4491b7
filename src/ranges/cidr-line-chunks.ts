/**
 * cidrLineChunks: a collapsed CidrStore as text lines ("a.b.c.d/p\n", IPv4 then IPv6), produced as byte
 * chunks of about `chunkBytes` each. IPv4 digits are written straight into the chunk (no string per
 * range), which is what makes `tq-entra ranges merge` output and CidrStore.toCidrs fast; IPv6 goes
 * through formatIPv6. Text is ASCII, so latin1 and UTF-8 decoding agree.
 */
import { formatIPv6 } from './ipv6-text.ts';

/**
 * What the writer reads: a store's collapsed views (CidrStore has them). Structural, so this module
 * does not import cidr-store.ts (which imports this one for toCidrs).
 */
export interface CollapsedCidrViews {
  viewV4(): { starts: Uint32Array; prefixes: Uint8Array; count: number };
  viewV6(): { words: Uint32Array; prefixes: Uint8Array; count: number };
}

const encoder = new TextEncoder();

/** Write the decimal digits of 0 <= v <= 999 at `at`; returns the next position. */
function putDecimal(buf: Uint8Array, at: number, v: number): number {
  if (v >= 100) {
    const h = (v / 100) | 0;
    const r = v - h * 100;
    const t = (r / 10) | 0;
    buf[at] = 48 + h;
    buf[at + 1] = 48 + t;
    buf[at + 2] = 48 + r - t * 10;
    return at + 3;
  }
  if (v >= 10) {
    const t = (v / 10) | 0;
    buf[at] = 48 + t;
    buf[at + 1] = 48 + v - t * 10;
    return at + 2;
  }
  buf[at] = 48 + v;
  return at + 1;
}

export function* cidrLineChunks(store: CollapsedCidrViews, chunkBytes = 1 << 20): Generator<Uint8Array> {
  const v4 = store.viewV4();
  let buf = new Uint8Array(chunkBytes + 64);
  let at = 0;
  const starts = v4.starts;
  const prefixes = v4.prefixes;
  for (let i = 0; i < v4.count; i++) {
    const a = starts[i] ?? 0;
    at = putDecimal(buf, at, a >>> 24);
    buf[at++] = 46;
    at = putDecimal(buf, at, (a >>> 16) & 255);
    buf[at++] = 46;
    at = putDecimal(buf, at, (a >>> 8) & 255);
    buf[at++] = 46;
    at = putDecimal(buf, at, a & 255);
    buf[at++] = 47;
    at = putDecimal(buf, at, prefixes[i] ?? 0);
    buf[at++] = 10;
    if (at >= chunkBytes) {
      yield buf.subarray(0, at);
      buf = new Uint8Array(chunkBytes + 64);
      at = 0;
    }
  }
  const v6 = store.viewV6();
  for (let i = 0; i < v6.count; i++) {
    const w = v6.words;
    const text = `${formatIPv6(w[i * 4] ?? 0, w[i * 4 + 1] ?? 0, w[i * 4 + 2] ?? 0, w[i * 4 + 3] ?? 0)}/${v6.prefixes[i] ?? 0}\n`;
    at += encoder.encodeInto(text, buf.subarray(at)).written;
    if (at >= chunkBytes) {
      yield buf.subarray(0, at);
      buf = new Uint8Array(chunkBytes + 64);
      at = 0;
    }
  }
  if (at > 0) yield buf.subarray(0, at);
}

const latin1 = new TextDecoder('latin1');

/** All lines of the store as strings (one flat text split once: far cheaper than a string per range). */
export function cidrLines(store: CollapsedCidrViews): string[] {
  const parts: string[] = [];
  for (const chunk of cidrLineChunks(store)) parts.push(latin1.decode(chunk));
  const text = parts.join('');
  if (text.length === 0) return [];
  const lines = text.split('\n');
  lines.pop(); // after the final newline
  return lines;
}
