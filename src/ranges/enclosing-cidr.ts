/**
 * enclosingCidrLookup: "which CIDR of this list contains that one?", for many queries against one list
 * (the removal grace asks it of every range that leaves a target and of every desired range while
 * some are held). Built once from canonical CIDR texts: a Set of the texts plus, per family, the prefix
 * lengths present. A query parses its CIDR and, from its own prefix length towards the broadest length
 * present, looks up the enclosing network of each length present: one lookup per distinct length
 * (a feed of /32s costs one), at most 33 (IPv4) or 129 (IPv6). The narrowest match is returned; a CIDR
 * encloses itself (`all` gives every match, narrowest first). List entries that are not canonical
 * never match (normalizeCidr them first); a query that does not parse has no match. Pure.
 */
import { parseCidrSyntax, type CidrSyntaxOk } from './cidr-syntax.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6, hostMaskWord } from './ipv6-text.ts';

/** The network of `p`'s address at a shorter prefix length, as canonical text. */
function networkText(p: CidrSyntaxOk, prefix: number): string {
  if (p.family === 4) {
    const masked = prefix === 0 ? 0 : (p.start & (0xffffffff << (32 - prefix))) >>> 0;
    return formatIPv4Cidr(masked, prefix);
  }
  const w = [0, 1, 2, 3].map((i) => ((p.words[i] ?? 0) & ~hostMaskWord(i, prefix)) >>> 0) as [number, number, number, number];
  return `${formatIPv6(w[0], w[1], w[2], w[3])}/${prefix}`;
}

export interface EnclosingCidrLookup {
  /** The narrowest CIDR of the list holding `cidr` (itself included), or undefined. */
  narrowest(cidr: string): string | undefined;
  /** Every CIDR of the list holding `cidr` (itself included), narrowest first. */
  all(cidr: string): string[];
}

export function enclosingCidrLookup(cidrs: Iterable<string>): EnclosingCidrLookup {
  const texts = new Set<string>();
  const lengths: Record<4 | 6, Set<number>> = { 4: new Set(), 6: new Set() };
  for (const c of cidrs) {
    texts.add(c);
    const slash = c.lastIndexOf('/');
    if (slash > 0) lengths[c.includes(':') ? 6 : 4].add(Number(c.slice(slash + 1)));
  }
  // Narrowest first, so the first hit is the narrowest enclosing CIDR.
  const order: Record<4 | 6, number[]> = { 4: [...lengths[4]].sort((a, b) => b - a), 6: [...lengths[6]].sort((a, b) => b - a) };
  /** The narrowest match, or (with `out`) every match pushed to `out`, narrowest first. */
  const scan = (cidr: string, out?: string[]): string | undefined => {
    if (texts.size === 0) return undefined;
    const p = parseCidrSyntax(cidr);
    if (!p.ok) return undefined;
    for (const len of order[p.family]) {
      if (len > p.prefix) continue;
      const text = networkText(p, len);
      if (!texts.has(text)) continue;
      if (!out) return text;
      out.push(text);
    }
    return undefined;
  };
  return {
    narrowest: (cidr) => scan(cidr),
    all: (cidr) => {
      const out: string[] = [];
      scan(cidr, out);
      return out;
    },
  };
}
