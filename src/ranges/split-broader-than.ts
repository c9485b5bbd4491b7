/**
 * splitBroaderThan: cut every CIDR broader than a floor into floor-sized CIDRs (same addresses, more
 * entries). Merging is exact (Python's collapse_addresses), so two adjacent /8s merge into a /7 that
 * Entra would refuse (prefixes broader than /8 are not allowed); whoever packs ranges into named
 * locations calls this with Graph's limit (or the configured floor) after merging. Order is kept
 * (compareCidrs order in, compareCidrs order out). Throws InvalidCidrError on unparsable text.
 *
 * splitStoreBroaderThan does the same on a CidrStore (collapsed first), for the streaming paths
 * (`ranges merge`, `plan --indicators`), and serviceSplitFloors gives the floors the service cuts at:
 * the configured floor, never broader than Graph's /8 (GRAPH_MIN_PREFIX).
 */
import { formatIPv4Cidr } from './ipv4-text.ts';
import { bigIntToWords, formatIPv6BigInt, wordsToBigInt } from './ipv6-text.ts';
import { formatCidr } from './normalize-cidr.ts';
import { parseCidrOrThrow } from './numeric-cidr.ts';
import { CidrStore } from './cidr-store.ts';
import { GRAPH_MIN_PREFIX } from './range-options.ts';

/** The prefixes the service cuts merged blocks back to: the configured floor, at least Graph's /8. */
export function serviceSplitFloors(minPrefixV4: number, minPrefixV6: number): { v4: number; v6: number } {
  return { v4: Math.max(GRAPH_MIN_PREFIX, minPrefixV4), v6: Math.max(GRAPH_MIN_PREFIX, minPrefixV6) };
}

export function splitBroaderThan(cidrs: readonly string[], minPrefixV4: number, minPrefixV6: number): string[] {
  const out: string[] = [];
  for (const text of cidrs) {
    const p = parseCidrOrThrow(text, 'splitBroaderThan');
    const floor = p.family === 4 ? minPrefixV4 : minPrefixV6;
    if (p.prefix >= floor) {
      out.push(formatCidr(p));
      continue;
    }
    const pieces = 2 ** (floor - p.prefix);
    if (p.family === 4) {
      const size = 2 ** (32 - floor);
      for (let k = 0; k < pieces; k++) out.push(formatIPv4Cidr(p.start + k * size, floor));
    } else {
      const w = p.words;
      const start = wordsToBigInt(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0);
      const size = 1n << BigInt(128 - floor);
      for (let k = 0n; k < BigInt(pieces); k++) out.push(`${formatIPv6BigInt(start + k * size)}/${floor}`);
    }
  }
  return out;
}

/**
 * The store's merged blocks with every block broader than the floor cut into floor-sized blocks
 * (IPv4 /minPrefixV4, IPv6 /minPrefixV6). Returns the same store (collapsed) when no block is broader;
 * otherwise a new sealed store (collapsing it again would merge the pieces back).
 */
export function splitStoreBroaderThan(store: CidrStore, minPrefixV4: number, minPrefixV6: number): CidrStore {
  const v4 = store.viewV4();
  const v6 = store.viewV6();
  let broad = false;
  for (let i = 0; i < v4.count && !broad; i++) broad = (v4.prefixes[i] ?? 32) < minPrefixV4;
  for (let i = 0; i < v6.count && !broad; i++) broad = (v6.prefixes[i] ?? 128) < minPrefixV6;
  if (!broad) return store;
  const out = new CidrStore(v4.count + 64, Number.POSITIVE_INFINITY);
  for (let i = 0; i < v4.count; i++) {
    const start = v4.starts[i] ?? 0;
    const p = v4.prefixes[i] ?? 32;
    if (p >= minPrefixV4) {
      out.addV4(start, p);
      continue;
    }
    const size = 2 ** (32 - minPrefixV4);
    for (let k = 0; k < 2 ** (minPrefixV4 - p); k++) out.addV4(start + k * size, minPrefixV4);
  }
  const w = new Uint32Array(4);
  for (let i = 0; i < v6.count; i++) {
    const [w0, w1, w2, w3] = [v6.words[i * 4] ?? 0, v6.words[i * 4 + 1] ?? 0, v6.words[i * 4 + 2] ?? 0, v6.words[i * 4 + 3] ?? 0];
    const p = v6.prefixes[i] ?? 128;
    if (p >= minPrefixV6) {
      out.addV6(w0, w1, w2, w3, p);
      continue;
    }
    const start = wordsToBigInt(w0, w1, w2, w3);
    const size = 1n << BigInt(128 - minPrefixV6);
    for (let k = 0n; k < 1n << BigInt(minPrefixV6 - p); k++) {
      bigIntToWords(start + k * size, w);
      out.addV6(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0, minPrefixV6);
    }
  }
  return out.sealCollapsed();
}
