import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WeightedMerge, detachedCidr, mergeWeighted } from '../../src/ranges/merge-weighted.ts';
import { mergeCidrs } from '../../src/ranges/merge-cidrs.ts';
import { adversarialList } from '../fixtures/ranges/arbitraries.ts';
import { blockEnd, blockText, parseBlock, unmapped } from '../fixtures/ranges/reference-cidr-set.ts';

describe('mergeWeighted', () => {
  it('gives each merged CIDR the largest weight of the inputs it covers', () => {
    expect(
      mergeWeighted([
        { cidr: '1.2.3.4', weight: 3 },
        { cidr: '1.2.3.5', weight: 7 },
        { cidr: '9.9.9.9', weight: 1 },
        { cidr: '2001:4860::/32', weight: 2 },
        { cidr: '2001:4860:1::/48', weight: 9 },
      ]),
    ).toEqual([
      { cidr: '1.2.3.4/31', weight: 7 },
      { cidr: '9.9.9.9/32', weight: 1 },
      { cidr: '2001:4860::/32', weight: 9 },
    ]);
  });

  it('keeps every weight when its input columns grow past their first allocation', () => {
    // Non-adjacent hosts never merge, so each output carries exactly its own input's weight.
    const v4 = Array.from({ length: 3000 }, (_, i) => ({ cidr: `11.0.${i >> 7}.${(i & 127) * 2}/32`, weight: i }));
    const v6 = Array.from({ length: 700 }, (_, i) => ({ cidr: `2001:4860:0:${(i * 2).toString(16)}::/64`, weight: 10_000 + i }));
    const out = mergeWeighted([...v6, ...v4]);
    expect(out).toHaveLength(3700);
    expect(out.slice(0, 3000)).toEqual(v4);
    // (IPv6 text comes back in RFC 5952 form, so compare the weights, in address order.)
    expect(out.slice(3000).map((o) => o.weight)).toEqual(v6.map((v) => v.weight));
  });

  it('never lets NaN win', () => {
    expect(mergeWeighted([{ cidr: '1.1.1.1', weight: Number.NaN }, { cidr: '1.1.1.0', weight: 2 }])).toEqual([{ cidr: '1.1.1.0/31', weight: 2 }]);
    expect(mergeWeighted([{ cidr: '1.1.1.1', weight: Number.NaN }])).toEqual([{ cidr: '1.1.1.1/32', weight: -Infinity }]);
  });

  it('agrees with mergeCidrs and with a brute-force max on random input', () => {
    fc.assert(
      fc.property(adversarialList, fc.array(fc.integer({ min: -5, max: 100 }), { minLength: 200, maxLength: 200 }), (blocks, weights) => {
        const items = blocks.map((b, i) => ({ cidr: blockText(b), weight: weights[i % weights.length] ?? 0 }));
        const got = mergeWeighted(items);
        expect(got.map((g) => g.cidr)).toEqual(mergeCidrs(items.map((i) => i.cidr)));
        for (const g of got) {
          const out = parseBlock(g.cidr);
          const inside = items.filter((it) => {
            const b = unmapped(parseBlock(it.cidr));
            return b.family === out.family && b.start >= out.start && blockEnd(b) <= blockEnd(out);
          });
          expect(g.weight).toBe(Math.max(...inside.map((i) => i.weight)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('WeightedMerge gives each block the union of its inputs\' labels and reads its text in batches', () => {
    const m = new WeightedMerge(40);
    m.add('1.2.3.4', 3, 0);
    m.add('1.2.3.5', 7, 35);
    m.add('9.9.9.9', 1, 2);
    m.add('2001:4860::/32', 2, 35);
    m.add('2001:4860:1::/48', 9, 1);
    const r = m.result();
    expect(r.count).toBe(3);
    expect([...r.weights]).toEqual([7, 1, 9]);
    expect(r.labelWords).toBe(2);
    const labelsOf = (i: number) => [0, 1, 2, 35].filter((l) => (((r.labels[i * 2 + (l >>> 5)] ?? 0) >>> (l & 31)) & 1) === 1);
    expect([0, 1, 2].map(labelsOf)).toEqual([[0, 35], [2], [1, 35]]);
    // A batch ends once it holds 8 bytes of text or more: one line each here, in order.
    expect([...r.cidrBatches(8)]).toEqual([['1.2.3.4/31'], ['9.9.9.9/32'], ['2001:4860::/32']]);
  });

  it('WeightedMerge batches a large merge into several line batches that keep the order', () => {
    const m = new WeightedMerge();
    const cidrs = Array.from({ length: 50_000 }, (_, i) => `11.${i >> 14}.${(i >> 6) & 255}.${(i & 63) * 4}/32`);
    cidrs.forEach((c, i) => m.add(c, i));
    const r = m.result();
    const batches = [...r.cidrBatches(64 * 1024)];
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.flat()).toEqual(mergeCidrs(cidrs));
    expect(r.weights[49_999]).toBe(49_999);
    // A kept line's copy (no reference to its batch) is the same text.
    const lines = batches.flat();
    expect(lines.map(detachedCidr)).toEqual(lines);
    expect(detachedCidr('2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120')).toBe('2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120');
  });
});

