import { describe, expect, it } from 'vitest';
import { splitBroaderThan } from '../../src/ranges/split-broader-than.ts';

describe('splitBroaderThan', () => {
  it('cuts CIDRs broader than the floor into floor-sized pieces and keeps the rest', () => {
    expect(splitBroaderThan(['8.0.0.0/7', '1.2.3.0/24'], 8, 8)).toEqual(['8.0.0.0/8', '9.0.0.0/8', '1.2.3.0/24']);
    expect(splitBroaderThan(['2000::/7'], 8, 8)).toEqual(['2000::/8', '2100::/8']);
    expect(splitBroaderThan(['0.0.0.0/0'], 2, 8)).toEqual(['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/2', '192.0.0.0/2']);
  });
});
