/**
 * IPv6 text <-> four unsigned 32-bit words (most significant first), from char codes.
 *
 * Accepted (RFC 4291 §2.2): eight groups of 1-4 hex digits, upper or lower case, at most one "::"
 * standing for one or more zero groups, and an optional trailing dotted quad (strict IPv4 rules: no
 * leading zeros, octets <= 255) counting as two groups. Zone indexes are refused by the caller.
 * Output (RFC 5952): lower case, no leading zeros, the longest run of two or more zero groups (the
 * leftmost on a tie) compressed to "::"; embedded dotted quads are never produced.
 */
import { V4_NOT_AN_ADDRESS, parseIPv4 } from './ipv4-text.ts';

export const V6_OK = 0;
/** Not IPv6 text. Other non-zero results are the V4_* codes of a malformed embedded dotted quad. */
export const V6_NOT_AN_ADDRESS = V4_NOT_AN_ADDRESS;

const groups = new Int32Array(8);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parse `s.slice(from, to)` into `out[0..3]`. Returns V6_OK, V6_NOT_AN_ADDRESS, or the V4_* code of a
 * malformed embedded IPv4 part.
 */
export function parseIPv6(s: string, from: number, to: number, out: Uint32Array): number {
  let n = 0;
  let gap = -1; // index in groups where "::" stands
  let i = from;
  if (to - from >= 2 && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) {
    gap = 0;
    i += 2;
  }
  while (i < to) {
    const start = i;
    let value = 0;
    let digits = 0;
    for (; i < to; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
    }
    if (i < to && s.charCodeAt(i) === 46) {
      // Embedded dotted quad: must end the text and leave room for two groups.
      if (n > 6) return V6_NOT_AN_ADDRESS;
      const v4 = parseIPv4(s, start, to);
      if (v4 < 0) return v4;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4 || n === 8) return V6_NOT_AN_ADDRESS;
    groups[n++] = value;
    if (i === to) break;
    if (s.charCodeAt(i) !== 58) return V6_NOT_AN_ADDRESS;
    i++;
    if (i < to && s.charCodeAt(i) === 58) {
      if (gap >= 0) return V6_NOT_AN_ADDRESS;
      gap = n;
      i++;
    } else if (i === to) {
      return V6_NOT_AN_ADDRESS; // trailing single colon
    }
  }
  if (gap < 0) {
    if (n !== 8) return V6_NOT_AN_ADDRESS;
  } else {
    if (n > 7) return V6_NOT_AN_ADDRESS;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k] ?? 0;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[w] = (((groups[2 * w] ?? 0) << 16) | (groups[2 * w + 1] ?? 0)) >>> 0;
  return V6_OK;
}

/** RFC 5952 text of the address held in four words. */
export function formatIPv6(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (k: number): string => (g[k] ?? 0).toString(16);
  if (bestStart < 0) return g.map((_, k) => hex(k)).join(':');
  const head: string[] = [];
  for (let k = 0; k < bestStart; k++) head.push(hex(k));
  const tail: string[] = [];
  for (let k = bestStart + bestLen; k < 8; k++) tail.push(hex(k));
  return `${head.join(':')}::${tail.join(':')}`;
}

/** The four words as one BigInt (for the rare arithmetic that needs 128 bits at once). */
export function wordsToBigInt(w0: number, w1: number, w2: number, w3: number): bigint {
  return (BigInt(w0) << 96n) | (BigInt(w1) << 64n) | (BigInt(w2) << 32n) | BigInt(w3);
}

/** Write a 128-bit BigInt into out[0..3]. */
export function bigIntToWords(v: bigint, out: Uint32Array | number[]): void {
  out[0] = Number((v >> 96n) & 0xffffffffn);
  out[1] = Number((v >> 64n) & 0xffffffffn);
  out[2] = Number((v >> 32n) & 0xffffffffn);
  out[3] = Number(v & 0xffffffffn);
}

/** RFC 5952 text of a 128-bit BigInt address. */
export function formatIPv6BigInt(v: bigint): string {
  const w = [0, 0, 0, 0];
  bigIntToWords(v, w);
  return formatIPv6(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0);
}

/**
 * Mask of the host bits of word `w` (0..3) for a prefix length: the bits of that word that lie beyond
 * the prefix. 0 when the word is wholly network, 0xffffffff when wholly host.
 */
export function hostMaskWord(w: number, prefix: number): number {
  const netBits = prefix - 32 * w; // network bits falling in this word
  if (netBits >= 32) return 0;
  if (netBits <= 0) return 0xffffffff;
  return (0xffffffff >>> netBits) >>> 0;
}
