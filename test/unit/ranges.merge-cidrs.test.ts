import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeCidrs } from '../../src/ranges/merge-cidrs.ts';
import { InvalidCidrError } from '../../src/ranges/errors/invalid-cidr-error.ts';
import { adversarialList, blockList } from '../fixtures/ranges/arbitraries.ts';
import { blockText, refMerge, unmapped, v4Text, v6TextExpanded, type Block } from '../fixtures/ranges/reference-cidr-set.ts';

/** Spell a block in a random-looking but valid non-canonical way (expanded/upper-case IPv6). */
function spelled(b: Block, variant: number): string {
  if (b.family === 4) return `${v4Text(b.start)}/${b.prefix}`;
  return `${v6TextExpanded(b.start, variant % 2 === 1, variant % 3 === 0)}/${b.prefix}`;
}

describe('mergeCidrs', () => {
  it('collapses adjacent, overlapping and contained ranges', () => {
    expect(mergeCidrs(['1.2.3.4/32', '1.2.3.5/32'])).toEqual(['1.2.3.4/31']);
    expect(mergeCidrs(['10.0.0.0/24', '10.0.1.0/24', '10.0.0.128/25'])).toEqual(['10.0.0.0/23']);
    expect(mergeCidrs(['1.2.3.5/32', '1.2.3.6/32'])).toEqual(['1.2.3.5/32', '1.2.3.6/32']); // adjacent, not siblings
    expect(mergeCidrs(['8.8.8.8', '8.8.8.8/32', '8.8.8.0/24'])).toEqual(['8.8.8.0/24']);
  });

  it('orders IPv4 ascending, then IPv6 ascending, in canonical text', () => {
    expect(mergeCidrs(['2001:DB8:0:0:0:0:0:1', '9.9.9.9', '::1', '1.1.1.1/32'])).toEqual(['1.1.1.1/32', '9.9.9.9/32', '::1/128', '2001:db8::1/128']);
  });

  it('clears host bits and maps IPv4-mapped IPv6 to IPv4', () => {
    expect(mergeCidrs(['10.0.0.5/24'])).toEqual(['10.0.0.0/24']);
    expect(mergeCidrs(['::ffff:1.2.3.4', '1.2.3.5'])).toEqual(['1.2.3.4/31']);
  });

  it('handles the bottom, the top and /0 of both families', () => {
    expect(mergeCidrs(['0.0.0.0/1', '128.0.0.0/1'])).toEqual(['0.0.0.0/0']);
    expect(mergeCidrs(['255.255.255.255', '255.255.255.254/32', '0.0.0.0'])).toEqual(['0.0.0.0/32', '255.255.255.254/31']);
    expect(mergeCidrs(['::/1', '8000::/1'])).toEqual(['::/0']);
    expect(mergeCidrs(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'])).toEqual(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127']);
    expect(mergeCidrs(['::', '::1'])).toEqual(['::/127']);
  });

  it('returns an empty list for no input and accepts any iterable', () => {
    expect(mergeCidrs([])).toEqual([]);
    expect(mergeCidrs(new Set(['1.1.1.1', '1.1.1.0']))).toEqual(['1.1.1.0/31']);
  });

  it('throws InvalidCidrError naming the value on bad text', () => {
    expect(() => mergeCidrs(['1.1.1.1', 'nope'])).toThrow(InvalidCidrError);
    expect(() => mergeCidrs(['300.1.1.1'])).toThrow(/"300\.1\.1\.1".*OCTET_OUT_OF_RANGE/);
  });

  it('equals the reference on random sets of both families', () => {
    fc.assert(
      fc.property(blockList, fc.nat(), (blocks, v) => {
        const got = mergeCidrs(blocks.map((b, i) => spelled(b, v + i)));
        expect(got).toEqual(refMerge(blocks.map(unmapped)).map(blockText));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the reference on adversarial shapes (nested, sibling and adjacent sub-blocks)', () => {
    fc.assert(
      fc.property(adversarialList, (blocks) => {
        expect(mergeCidrs(blocks.map(blockText))).toEqual(refMerge(blocks.map(unmapped)).map(blockText));
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent and order-independent', () => {
    fc.assert(
      fc.property(blockList, (blocks) => {
        const once = mergeCidrs(blocks.map(blockText));
        expect(mergeCidrs(once)).toEqual(once);
        expect(mergeCidrs([...blocks].reverse().map(blockText))).toEqual(once);
      }),
      { numRuns: 100 },
    );
  });
});
