import { describe, expect, it } from 'vitest';
import { subtractNeverBlock } from '../../src/reconcile/desired-ranges.ts';

describe('subtractNeverBlock', () => {
  it('returns desired unchanged without a never-block list', () => {
    const d = [{ cidr: '11.0.0.1/32', weight: 3, sources: ['a'] }];
    expect(subtractNeverBlock(d, [])).toEqual(d);
  });

  it('drops covered ranges and keeps the rest of a partly covered one with its weight and sources', () => {
    const d = [
      { cidr: '11.0.0.0/24', weight: 7, sources: ['tq/x'] },
      { cidr: '12.0.0.1/32', weight: 2, sources: ['file'] },
      { cidr: '13.0.0.9/32', weight: 1, sources: ['tq/y'] },
    ];
    const out = subtractNeverBlock(d, ['11.0.0.0/25', '13.0.0.0/24']);
    expect(out).toEqual([
      { cidr: '11.0.0.128/25', weight: 7, sources: ['tq/x'] },
      { cidr: '12.0.0.1/32', weight: 2, sources: ['file'] },
    ]);
  });
});
