import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enclosingCidrLookup } from '../../src/ranges/enclosing-cidr.ts';
import { adversarialList, anyBlock } from '../fixtures/ranges/arbitraries.ts';
import { blockEnd, blockText, unmapped, type Block } from '../fixtures/ranges/reference-cidr-set.ts';

/** The reference: the blocks of `list` holding every address of `q`, narrowest first (BigInt intervals). */
function refEnclosing(list: readonly Block[], q: Block): string[] {
  const holding = list.filter((b) => b.family === q.family && b.start <= q.start && blockEnd(q) <= blockEnd(b));
  holding.sort((a, b) => b.prefix - a.prefix);
  return [...new Set(holding.map(blockText))];
}

describe('enclosingCidrLookup', () => {
  it('finds the narrowest enclosing CIDR, the CIDR itself included, in either family', () => {
    const lookup = enclosingCidrLookup(['10.0.0.0/8', '10.1.0.0/16', '192.0.2.7/32', '2001:db8::/32', '2001:db8:1::/48']);
    const find = (c: string) => lookup.narrowest(c);
    expect(find('10.1.2.3/32')).toBe('10.1.0.0/16');
    expect(find('10.2.0.0/24')).toBe('10.0.0.0/8');
    expect(find('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(find('10.0.0.0/7')).toBeUndefined();
    expect(find('192.0.2.7/32')).toBe('192.0.2.7/32');
    expect(find('192.0.2.6/31')).toBeUndefined();
    expect(find('2001:db8:1:2::/64')).toBe('2001:db8:1::/48');
    expect(find('2001:db8:2::/64')).toBe('2001:db8::/32');
    expect(find('2001:db9::/64')).toBeUndefined();
    expect(find('not a cidr')).toBeUndefined();
    expect(enclosingCidrLookup([]).narrowest('10.0.0.1/32')).toBeUndefined();
    expect(lookup.all('10.1.2.3/32')).toEqual(['10.1.0.0/16', '10.0.0.0/8']);
    expect(lookup.all('2001:db8:1::/64')).toEqual(['2001:db8:1::/48', '2001:db8::/32']);
    expect(lookup.all('11.0.0.0/24')).toEqual([]);
  });

  it('agrees with a BigInt reference on nested, adjacent and boundary blocks of both families', () => {
    fc.assert(
      fc.property(adversarialList, fc.array(anyBlock, { maxLength: 20 }), (list, extra) => {
        const blocks = list.map(unmapped);
        const lookup = enclosingCidrLookup(blocks.map(blockText));
        for (const q of [...blocks, ...extra.map(unmapped)]) {
          const want = refEnclosing(blocks, q);
          expect(lookup.all(blockText(q))).toEqual(want);
          expect(lookup.narrowest(blockText(q))).toBe(want[0]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
