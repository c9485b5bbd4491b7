/**
 * Subtraction with attribution (safety.neverBlock, ThreatQ's whitelist): what remains of each desired
 * range keeps that range's weight and sources, and the ranges that lost addresses are counted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subtractAttributed } from '../../src/reconcile/desired-ranges.ts';
import { mergeCidrs, subtractCidrs } from '../../src/ranges/index.ts';
import { blockList } from '../fixtures/ranges/arbitraries.ts';
import { blockText, unmapped } from '../fixtures/ranges/reference-cidr-set.ts';

describe('subtractAttributed', () => {
  it('keeps untouched ranges as they are, drops covered ones, and gives each remainder its own range\'s weight and sources', () => {
    const d = [
      { cidr: '11.0.0.0/30', weight: 7, sources: ['tq/a'] },
      { cidr: '11.0.0.4/30', weight: 2, sources: ['file'] }, // adjacent to the first: never merged with it
      { cidr: '12.0.0.1/32', weight: 5, sources: ['tq/b', 'file'] },
      { cidr: '13.0.0.9/32', weight: 1, sources: ['tq/a'] },
      { cidr: '2001:db8::/127', weight: 3, sources: ['tq/a'] },
    ];
    const out = subtractAttributed(d, ['11.0.0.3', '11.0.0.4', '13.0.0.0/24', '2001:db8::1']);
    expect(out.desired).toEqual([
      { cidr: '11.0.0.0/31', weight: 7, sources: ['tq/a'] },
      { cidr: '11.0.0.2/32', weight: 7, sources: ['tq/a'] },
      { cidr: '11.0.0.5/32', weight: 2, sources: ['file'] },
      { cidr: '11.0.0.6/31', weight: 2, sources: ['file'] },
      { cidr: '12.0.0.1/32', weight: 5, sources: ['tq/b', 'file'] },
      { cidr: '2001:db8::/128', weight: 3, sources: ['tq/a'] },
    ]);
    expect(out.cut).toBe(4);
    expect(out.desired[4]).toBe(d[2]); // untouched: the same object
  });

  it('removes nothing and cuts nothing with an empty list', () => {
    const d = [{ cidr: '11.0.0.1/32', weight: 3, sources: ['a'] }];
    expect(subtractAttributed(d, [])).toEqual({ desired: d, cut: 0 });
  });

  it('covers exactly (desired - remove), each piece inside the range it is attributed to (property)', () => {
    fc.assert(
      fc.property(blockList, blockList, (set, remove) => {
        // desired as the fan-in makes it: merged, disjoint; weights and labels by position
        const cidrs = mergeCidrs(set.map((b) => blockText(unmapped(b))));
        const desired = cidrs.map((cidr, i) => ({ cidr, weight: i, sources: [`s${i}`] }));
        const rm = remove.map((b) => blockText(unmapped(b)));
        const out = subtractAttributed(desired, rm);
        expect(mergeCidrs(out.desired.map((x) => x.cidr))).toEqual(subtractCidrs(cidrs, rm));
        for (const piece of out.desired) {
          const parent = desired[piece.weight];
          expect(parent?.sources).toEqual(piece.sources);
          expect(subtractCidrs([piece.cidr], [parent?.cidr ?? '0.0.0.0/32'])).toEqual([]);
        }
        const untouched = desired.filter((x) => {
          const rest = subtractCidrs([x.cidr], rm);
          return rest.length === 1 && rest[0] === x.cidr;
        });
        expect(out.cut).toBe(desired.length - untouched.length);
      }),
      { numRuns: 200 },
    );
  });
});
