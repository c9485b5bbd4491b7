/**
 * subtractEach(set, remove): what remains of each CIDR of `set` once the union of `remove` is taken
 * out, one answer per input in input order, the inputs neither merged nor reordered, so a caller can
 * carry each input's own data (weight, sources) over to its remainder. The answer is undefined when
 * the CIDR does not meet `remove` (it stays whole, and no string is made for it), else the minimal
 * CIDRs of its remainder, ascending ([] when wholly removed).
 * Cost O((n + m) log m) plus the pieces: `remove` is collapsed once into sorted, disjoint intervals;
 * each set CIDR is located among them by binary search and cut only where it meets them
 * (block-subtract.ts, at most 2 × prefix-length pieces per interval edge). subtractCidrs, by contrast,
 * merges its set first and so loses which input a piece came from.
 * Accepts any CIDR or address text (as mergeCidrs); throws InvalidCidrError on anything else.
 */
import { blockOverlapV4, blockOverlapV6, subtractFromBlockV4, subtractFromBlockV6 } from './block-subtract.ts';
import { fastIPv4, fastPrefix } from './fast-ipv4.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6BigInt, wordsToBigInt } from './ipv6-text.ts';
import { parseCidrOrThrow, storeOf } from './numeric-cidr.ts';
import { removeIntervalsV4, removeIntervalsV6 } from './subtract-cidrs.ts';

export function subtractEach(set: readonly string[], remove: Iterable<string>): (string[] | undefined)[] {
  const r = storeOf(remove, 'subtractEach(remove)');
  const iv4 = removeIntervalsV4(r);
  const iv6 = removeIntervalsV6(r);
  const out: (string[] | undefined)[] = new Array<string[] | undefined>(set.length);
  const pieces4: number[] = [];
  const pieces6: Array<[bigint, number]> = [];
  for (let i = 0; i < set.length; i++) {
    const text = set[i] ?? '';
    // The common case (canonical IPv4 text) without the full parser's allocations.
    const fast = fastIPv4(text);
    const p = fast >= 0 ? undefined : parseCidrOrThrow(text, 'subtractEach(set)');
    if (p === undefined || p.family === 4) {
      const prefix = p?.prefix ?? fastPrefix();
      const size = 2 ** (32 - prefix);
      const start = p?.start ?? fast - (fast % size);
      if (iv4.length === 0 || blockOverlapV4(start, prefix, iv4) === 0) continue;
      pieces4.length = 0;
      subtractFromBlockV4(start, prefix, iv4, pieces4);
      const rest: string[] = [];
      for (let k = 0; k < pieces4.length; k += 2) rest.push(formatIPv4Cidr(pieces4[k] ?? 0, pieces4[k + 1] ?? 0));
      out[i] = rest;
    } else {
      if (iv6.length === 0) continue;
      const start = wordsToBigInt(p.words[0] ?? 0, p.words[1] ?? 0, p.words[2] ?? 0, p.words[3] ?? 0);
      if (blockOverlapV6(start, p.prefix, iv6) === 0) continue;
      pieces6.length = 0;
      subtractFromBlockV6(start, p.prefix, iv6, pieces6);
      out[i] = pieces6.map(([s, pp]) => `${formatIPv6BigInt(s)}/${pp}`);
    }
  }
  return out;
}
