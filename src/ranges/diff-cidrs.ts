/**
 * diffCidrs: entry-wise difference of two CIDR lists (say, what a named location holds now and what it
 * should hold): `added` are in `after` only, `removed` in `before` only, `kept` in both. Entries are
 * compared by their canonical form (normalizeCidr), so Graph's "2001:0:9d38:90d6:0:0:0:0/63" and our
 * "2001:0:9d38:90d6::/63" are the same entry; duplicates collapse. This is a diff of entries, not of
 * address coverage: 10.0.0.0/24 -> 10.0.0.0/23 is one removal and one addition. Outputs are canonical
 * text in compareCidrs order. Throws InvalidCidrError on unparsable text (normalize first to skip it).
 */
import { sortCidrs } from './compare-cidrs.ts';
import { formatCidr } from './normalize-cidr.ts';
import { parseCidrOrThrow } from './numeric-cidr.ts';

export interface CidrDiff {
  added: string[];
  removed: string[];
  kept: string[];
}

function canonicalSet(list: readonly string[], where: string): Set<string> {
  const out = new Set<string>();
  for (const c of list) out.add(formatCidr(parseCidrOrThrow(c, where)));
  return out;
}

export function diffCidrs(before: readonly string[], after: readonly string[]): CidrDiff {
  const b = canonicalSet(before, 'diffCidrs(before)');
  const a = canonicalSet(after, 'diffCidrs(after)');
  const added: string[] = [];
  const kept: string[] = [];
  const removed: string[] = [];
  for (const c of a) (b.has(c) ? kept : added).push(c);
  for (const c of b) if (!a.has(c)) removed.push(c);
  return { added: sortCidrs(added), removed: sortCidrs(removed), kept: sortCidrs(kept) };
}
