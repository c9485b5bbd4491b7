import { describe, expect, it } from 'vitest';
import { splitDesiredBroaderThan } from '../../src/reconcile/desired-ranges.ts';
import { mergeWeighted } from '../../src/ranges/index.ts';

describe('splitDesiredBroaderThan', () => {
  it('cuts blocks that merging made broader than the floor back into floor-sized pieces', () => {
    const merged = mergeWeighted([
      { cidr: '44.0.0.0/8', weight: 3 },
      { cidr: '45.0.0.0/8', weight: 5 },
      { cidr: '2a00::/8', weight: 1 },
      { cidr: '2b00::/8', weight: 1 },
    ]);
    expect(merged.map((m) => m.cidr)).toEqual(['44.0.0.0/7', '2a00::/7']);
    const desired = splitDesiredBroaderThan(merged.map((m) => ({ ...m, sources: ['a'] })), 8, 8);
    expect(desired).toEqual([
      { cidr: '44.0.0.0/8', weight: 5, sources: ['a'] },
      { cidr: '45.0.0.0/8', weight: 5, sources: ['a'] },
      { cidr: '2a00::/8', weight: 1, sources: ['a'] },
      { cidr: '2b00::/8', weight: 1, sources: ['a'] },
    ]);
  });

  it('honours a stricter configured floor and never goes below Graph’s /8', () => {
    const d = [{ cidr: '198.18.0.0/15', weight: 0, sources: [] }];
    expect(splitDesiredBroaderThan(d, 16, 8).map((x) => x.cidr)).toEqual(['198.18.0.0/16', '198.19.0.0/16']);
    expect(splitDesiredBroaderThan(d, 8, 8)).toEqual(d);
    expect(splitDesiredBroaderThan([{ cidr: '10.0.0.0/7', weight: 0, sources: [] }], 0, 0).map((x) => x.cidr)).toEqual(['10.0.0.0/8', '11.0.0.0/8']);
  });
});
