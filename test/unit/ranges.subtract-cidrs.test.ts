import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subtractCidrs } from '../../src/ranges/subtract-cidrs.ts';
import { InvalidCidrError } from '../../src/ranges/errors/invalid-cidr-error.ts';
import { adversarialList, blockList } from '../fixtures/ranges/arbitraries.ts';
import { blockText, refSubtract, unmapped } from '../fixtures/ranges/reference-cidr-set.ts';

describe('subtractCidrs', () => {
  it('keeps the rest of a range that partly overlaps the never-block list', () => {
    expect(subtractCidrs(['8.8.8.0/24'], ['8.8.8.8'])).toEqual([
      '8.8.8.0/29',
      '8.8.8.9/32',
      '8.8.8.10/31',
      '8.8.8.12/30',
      '8.8.8.16/28',
      '8.8.8.32/27',
      '8.8.8.64/26',
      '8.8.8.128/25',
    ]);
  });

  it('drops ranges inside the list and keeps ranges outside it untouched', () => {
    expect(subtractCidrs(['1.1.1.1', '9.9.9.0/24', '2001:4860::1'], ['9.0.0.0/8', '2001:4860::/32'])).toEqual(['1.1.1.1/32']);
    expect(subtractCidrs(['1.1.1.1', '2001:4860::1'], [])).toEqual(['1.1.1.1/32', '2001:4860::1/128']);
    expect(subtractCidrs([], ['1.1.1.1'])).toEqual([]);
  });

  it('returns minimal CIDRs (merges the set first)', () => {
    expect(subtractCidrs(['10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24'], ['10.0.1.0/24'])).toEqual(['10.0.0.0/24']);
  });

  it('handles /0 and the edges of both families', () => {
    expect(subtractCidrs(['0.0.0.0/0'], ['0.0.0.0/1'])).toEqual(['128.0.0.0/1']);
    expect(subtractCidrs(['::/0'], ['::/1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'])).toHaveLength(127);
    expect(subtractCidrs(['255.255.255.254/31'], ['255.255.255.255'])).toEqual(['255.255.255.254/32']);
  });

  it('throws InvalidCidrError on bad text in either list', () => {
    expect(() => subtractCidrs(['x'], [])).toThrow(InvalidCidrError);
    expect(() => subtractCidrs([], ['1.2.3.4/40'])).toThrow(/BAD_PREFIX/);
  });

  it('equals the reference (set - remove) on random sets', () => {
    fc.assert(
      fc.property(blockList, blockList, (set, remove) => {
        const got = subtractCidrs(set.map(blockText), remove.map(blockText));
        expect(got).toEqual(refSubtract(set.map(unmapped), remove.map(unmapped)).map(blockText));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the reference on adversarial shapes', () => {
    fc.assert(
      fc.property(adversarialList, adversarialList, (set, remove) => {
        expect(subtractCidrs(set.map(blockText), remove.map(blockText))).toEqual(refSubtract(set.map(unmapped), remove.map(unmapped)).map(blockText));
      }),
      { numRuns: 300 },
    );
  });
});
