/**
 * subtractCidrs: the minimal CIDRs covering exactly (union of `set`) - (union of `remove`), IPv4
 * ascending then IPv6 ascending. Used for the never-block list: a set range that only partly overlaps a
 * never-block range keeps the rest of itself. Both lists are collapsed first (so the output is minimal),
 * then each set block is cut against the coalesced remove intervals (block-subtract.ts); IPv6 uses BigInt
 * only for blocks that actually meet a remove range. Throws InvalidCidrError on unparsable text.
 */
import { blockOverlapV6, subtractFromBlockV4, subtractFromBlockV6 } from './block-subtract.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { bigIntToWords, formatIPv6, wordsToBigInt } from './ipv6-text.ts';
import { CidrStore } from './cidr-store.ts';
import { storeOf } from './numeric-cidr.ts';

export function subtractCidrs(set: readonly string[], remove: readonly string[]): string[] {
  return subtractStores(storeOf(set, 'subtractCidrs(set)'), storeOf(remove, 'subtractCidrs(remove)'));
}

/** subtractCidrs on stores (e.g. a RangeAccumulator's) without going through text first. */
export function subtractStores(s: CidrStore, r: CidrStore): string[] {
  const out: string[] = [];
  subtractStoresInto(s, r, {
    v4: (start, prefix) => out.push(formatIPv4Cidr(start, prefix)),
    v6: (w0, w1, w2, w3, prefix) => out.push(`${formatIPv6(w0, w1, w2, w3)}/${prefix}`),
  });
  return out;
}

/**
 * subtractStores with the result as a new (collapsed, sealed) store: no string per range, so a
 * never-block list can be taken out of millions of ranges in bounded memory. Returns `s` itself when
 * `r` is empty.
 */
export function subtractStoresToStore(s: CidrStore, r: CidrStore): CidrStore {
  if (r.sizeV4 === 0 && r.sizeV6 === 0) return s;
  s.collapse();
  const out = new CidrStore(Math.max(16, s.sizeV4 + 64), Number.POSITIVE_INFINITY);
  subtractStoresInto(s, r, { v4: (start, prefix) => out.addV4(start, prefix), v6: (w0, w1, w2, w3, prefix) => out.addV6(w0, w1, w2, w3, prefix) });
  return out.sealCollapsed();
}

/** The IPv4 part of `r` as flat, sorted, coalesced intervals [lo0, hi0, lo1, hi1, …] (block-subtract.ts). */
export function removeIntervalsV4(r: CidrStore): number[] {
  const r4 = r.viewV4();
  const iv4: number[] = [];
  for (let i = 0; i < r4.count; i++) {
    const lo = r4.starts[i] ?? 0;
    const hi = lo + 2 ** (32 - (r4.prefixes[i] ?? 0)) - 1;
    const n = iv4.length;
    if (n > 0 && lo <= (iv4[n - 1] ?? 0) + 1) iv4[n - 1] = Math.max(iv4[n - 1] ?? 0, hi);
    else iv4.push(lo, hi);
  }
  return iv4;
}

/** The IPv6 part of `r` as flat, sorted, coalesced BigInt intervals. */
export function removeIntervalsV6(r: CidrStore): bigint[] {
  const r6 = r.viewV6();
  const iv6: bigint[] = [];
  for (let i = 0; i < r6.count; i++) {
    const w = r6.words;
    const lo = wordsToBigInt(w[i * 4] ?? 0, w[i * 4 + 1] ?? 0, w[i * 4 + 2] ?? 0, w[i * 4 + 3] ?? 0);
    const hi = lo + (1n << BigInt(128 - (r6.prefixes[i] ?? 0))) - 1n;
    const n = iv6.length;
    const last = iv6[n - 1] ?? 0n;
    if (n > 0 && lo <= last + 1n) iv6[n - 1] = last > hi ? last : hi;
    else iv6.push(lo, hi);
  }
  return iv6;
}

interface PieceSink {
  v4(start: number, prefix: number): void;
  v6(w0: number, w1: number, w2: number, w3: number, prefix: number): void;
}

/** The pieces of (s − r), IPv4 ascending then IPv6 ascending, minimal. */
function subtractStoresInto(s: CidrStore, r: CidrStore, sink: PieceSink): void {
  const s4 = s.viewV4();
  const iv4 = removeIntervalsV4(r);
  const pieces: number[] = [];
  for (let i = 0; i < s4.count; i++) {
    const start = s4.starts[i] ?? 0;
    const prefix = s4.prefixes[i] ?? 0;
    if (iv4.length === 0) {
      sink.v4(start, prefix);
      continue;
    }
    pieces.length = 0;
    subtractFromBlockV4(start, prefix, iv4, pieces);
    for (let k = 0; k < pieces.length; k += 2) sink.v4(pieces[k] ?? 0, pieces[k + 1] ?? 0);
  }

  const s6 = s.viewV6();
  const iv6 = removeIntervalsV6(r);
  const words = new Uint32Array(4);
  for (let i = 0; i < s6.count; i++) {
    const w = s6.words;
    const [w0, w1, w2, w3] = [w[i * 4] ?? 0, w[i * 4 + 1] ?? 0, w[i * 4 + 2] ?? 0, w[i * 4 + 3] ?? 0];
    const p = s6.prefixes[i] ?? 0;
    if (iv6.length === 0) {
      sink.v6(w0, w1, w2, w3, p);
      continue;
    }
    const start = wordsToBigInt(w0, w1, w2, w3);
    if (blockOverlapV6(start, p, iv6) === 0) {
      sink.v6(w0, w1, w2, w3, p);
      continue;
    }
    const parts: Array<[bigint, number]> = [];
    subtractFromBlockV6(start, p, iv6, parts);
    for (const [ps, pp] of parts) {
      bigIntToWords(ps, words);
      sink.v6(words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words[3] ?? 0, pp);
    }
  }
}
