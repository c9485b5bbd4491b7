import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffCidrs } from '../../src/ranges/diff-cidrs.ts';
import { InvalidCidrError } from '../../src/ranges/errors/invalid-cidr-error.ts';
import { blockList } from '../fixtures/ranges/arbitraries.ts';
import { blockText, unmapped, v6TextExpanded, type Block } from '../fixtures/ranges/reference-cidr-set.ts';

const key = (b: Block): string => blockText(unmapped(b));

describe('diffCidrs', () => {
  it('splits two lists into added, removed and kept (by entry)', () => {
    expect(diffCidrs(['1.1.1.1/32', '2.2.2.0/24'], ['2.2.2.0/24', '3.3.3.3/32'])).toEqual({
      added: ['3.3.3.3/32'],
      removed: ['1.1.1.1/32'],
      kept: ['2.2.2.0/24'],
    });
  });

  it("treats Graph's echo and our canonical text as the same entry", () => {
    const d = diffCidrs(['2001:0:9d38:90d6:0:0:0:0/63', '1.2.3.4'], ['2001:0:9d38:90d6::/63', '1.2.3.4/32']);
    expect(d).toEqual({ added: [], removed: [], kept: ['1.2.3.4/32', '2001:0:9d38:90d6::/63'] });
  });

  it('compares entries, not coverage: a grown range is one removal and one addition', () => {
    expect(diffCidrs(['10.0.0.0/24'], ['10.0.0.0/23'])).toEqual({ added: ['10.0.0.0/23'], removed: ['10.0.0.0/24'], kept: [] });
  });

  it('throws InvalidCidrError on bad text', () => {
    expect(() => diffCidrs(['bad'], [])).toThrow(InvalidCidrError);
  });

  it('matches set arithmetic on canonical entries for random lists', () => {
    fc.assert(
      fc.property(blockList, blockList, (before, after) => {
        // Spell "before" in expanded form so canonicalisation is exercised.
        const spell = (b: Block): string => (b.family === 6 ? `${v6TextExpanded(b.start, true, true)}/${b.prefix}` : blockText(b));
        const d = diffCidrs(before.map(spell), after.map(blockText));
        const b = new Set(before.map(key));
        const a = new Set(after.map(key));
        expect(new Set(d.added)).toEqual(new Set([...a].filter((x) => !b.has(x))));
        expect(new Set(d.removed)).toEqual(new Set([...b].filter((x) => !a.has(x))));
        expect(new Set(d.kept)).toEqual(new Set([...a].filter((x) => b.has(x))));
        expect(d.added.length + d.kept.length).toBe(a.size);
        expect(d.removed.length + d.kept.length).toBe(b.size);
      }),
      { numRuns: 200 },
    );
  });
});
