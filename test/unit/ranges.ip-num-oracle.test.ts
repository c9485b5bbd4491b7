/**
 * The range engine checked against an independent oracle: ip-num (IPv4CidrRange / IPv6CidrRange) reads
 * every CIDR the engine takes in or gives out, and the address sets are compared as ip-num's first/last
 * addresses. Nothing of src/ranges is used to compute an expectation. The engine's one deliberate rule
 * ip-num does not have (IPv4-mapped IPv6 is IPv4) is applied to the oracle's side explicitly.
 */
import fc from 'fast-check';
import { IPv4CidrRange, IPv6CidrRange } from 'ip-num';
import { describe, expect, it } from 'vitest';
import { mergeCidrs } from '../../src/ranges/merge-cidrs.ts';
import { normalizeCidr } from '../../src/ranges/normalize-cidr.ts';
import { subtractCidrs } from '../../src/ranges/subtract-cidrs.ts';
import { adversarialList, blockList } from '../fixtures/ranges/arbitraries.ts';
import { v6TextExpanded, type Block } from '../fixtures/ranges/reference-cidr-set.ts';

interface Interval {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

const MAPPED = 0xffffn << 32n;

/** ip-num's reading of one CIDR, IPv4-mapped IPv6 (prefix >= 96) taken as the IPv4 block it maps. */
function oracle(cidr: string): Interval & { prefix: number } {
  if (!cidr.includes(':')) {
    const r = IPv4CidrRange.fromCidr(cidr);
    return { family: 4, first: r.getFirst().getValue(), last: r.getLast().getValue(), prefix: Number(r.getPrefix().getValue()) };
  }
  const r = IPv6CidrRange.fromCidr(cidr);
  const first = r.getFirst().getValue();
  const prefix = Number(r.getPrefix().getValue());
  if (prefix >= 96 && first >> 32n === 0xffffn) {
    return { family: 4, first: first - MAPPED, last: r.getLast().getValue() - MAPPED, prefix: prefix - 96 };
  }
  return { family: 6, first, last: r.getLast().getValue(), prefix };
}

/** The address set of CIDRs as sorted, disjoint, non-adjacent intervals per family (text, to compare). */
function addressSet(intervals: readonly Interval[]): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const iv = intervals.filter((i) => i.family === family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let cur: Interval | undefined;
    for (const i of iv) {
      if (cur && i.first <= cur.last + 1n) {
        if (i.last > cur.last) cur.last = i.last;
      } else {
        if (cur) out.push(`${family} ${cur.first}-${cur.last}`);
        cur = { ...i };
      }
    }
    if (cur) out.push(`${family} ${cur.first}-${cur.last}`);
  }
  return out;
}

/** `set` minus `remove`, on intervals. */
function minus(set: readonly Interval[], remove: readonly Interval[]): Interval[] {
  let out = set.map((i) => ({ ...i }));
  for (const r of remove) {
    const next: Interval[] = [];
    for (const i of out) {
      if (i.family !== r.family || r.last < i.first || r.first > i.last) next.push(i);
      else {
        if (i.first < r.first) next.push({ family: i.family, first: i.first, last: r.first - 1n });
        if (i.last > r.last) next.push({ family: i.family, first: r.last + 1n, last: i.last });
      }
    }
    out = next;
  }
  return out;
}

/** Input text in the spellings a feed or Graph uses: IPv6 expanded, upper case, zero-padded. */
const written = (b: Block, style: number): string =>
  b.family === 4 ? `${[24n, 16n, 8n, 0n].map((s) => (b.start >> s) & 255n).join('.')}/${b.prefix}` : `${v6TextExpanded(b.start, style % 2 === 1, style >= 2)}/${b.prefix}`;
const writtenList = fc.tuple(fc.oneof(blockList, adversarialList), fc.nat(3)).map(([blocks, style]) => blocks.map((b) => written(b, style)));

describe('range engine against ip-num', () => {
  it('mergeCidrs covers exactly the input addresses, with disjoint blocks no two of which make one CIDR', () => {
    fc.assert(
      fc.property(writtenList, (input) => {
        const merged = mergeCidrs(input);
        const out = merged.map(oracle);
        expect(addressSet(out)).toEqual(addressSet(input.map(oracle)));
        for (let i = 1; i < out.length; i++) {
          const [a, b] = [out[i - 1]!, out[i]!];
          if (a.family !== b.family) continue;
          expect(a.last < b.first).toBe(true); // ascending and disjoint
          const ipA = a.family === 4 ? IPv4CidrRange.fromCidr(merged[i - 1]!) : IPv6CidrRange.fromCidr(merged[i - 1]!);
          const ipB = b.family === 4 ? IPv4CidrRange.fromCidr(merged[i]!) : IPv6CidrRange.fromCidr(merged[i]!);
          expect((ipA as IPv4CidrRange).isCidrMergeable(ipB as IPv4CidrRange)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('subtractCidrs leaves exactly the set difference', () => {
    fc.assert(
      fc.property(writtenList, writtenList, (set, remove) => {
        const out = subtractCidrs(set, remove).map(oracle);
        expect(addressSet(out)).toEqual(addressSet(minus(set.map(oracle), remove.map(oracle))));
      }),
      { numRuns: 150 },
    );
  });

  it('normalizeCidr agrees with ip-num: same network and prefix, RFC 5952 text', () => {
    const anyBlock = fc.tuple(fc.oneof(blockList, adversarialList), fc.nat(3), fc.bigInt(0n, (1n << 32n) - 1n));
    fc.assert(
      fc.property(anyBlock, ([blocks, style, hostBits]) => {
        for (const b of blocks) {
          const bits = BigInt((b.family === 4 ? 32 : 128) - b.prefix);
          const withHost = { ...b, start: b.start | (hostBits & ((1n << bits) - 1n)) }; // host bits set on purpose
          const text = written(withHost, style);
          const want = oracle(text);
          const got = normalizeCidr(text);
          expect(got).not.toBeNull();
          expect(oracle(got!)).toEqual(want);
          if (want.family === 6) {
            const addr = got!.split('/')[0]!;
            expect(addr).toBe(new URL(`http://[${IPv6CidrRange.fromCidr(text).getFirst().toString()}]/`).hostname.slice(1, -1));
          } else {
            expect(got).toBe(`${IPv4CidrRange.fromCidr(`${[24n, 16n, 8n, 0n].map((s) => (want.first >> s) & 255n).join('.')}/${want.prefix}`).toCidrString()}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
