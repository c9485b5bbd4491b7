/**
 * splitBroaderThan: cut every CIDR broader than a floor into floor-sized CIDRs (same addresses, more
 * entries). Merging is exact (Python's collapse_addresses), so two adjacent /8s merge into a /7 that
 * Entra would refuse (prefixes broader than /8 are not allowed); whoever packs ranges into named
 * locations calls this with Graph's limit (or the configured floor) after merging. Order is kept
 * (compareCidrs order in, compareCidrs order out). Throws InvalidCidrError on unparsable text.
 */
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6BigInt, wordsToBigInt } from './ipv6-text.ts';
import { formatCidr } from './normalize-cidr.ts';
import { parseCidrOrThrow } from './numeric-cidr.ts';

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
