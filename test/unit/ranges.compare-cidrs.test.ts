import { describe, expect, it } from 'vitest';
import { compareCidrs, sortCidrs } from '../../src/ranges/compare-cidrs.ts';

describe('compareCidrs / sortCidrs', () => {
  it('orders IPv4 before IPv6, by address, then broader prefix first; garbage last', () => {
    const list = ['zzz', '::1/128', '10.0.0.0/24', '2001:db8::/32', '10.0.0.0/16', '9.255.255.255/32', 'aaa', '::/0'];
    const want = ['9.255.255.255/32', '10.0.0.0/16', '10.0.0.0/24', '::/0', '::1/128', '2001:db8::/32', 'aaa', 'zzz'];
    expect(sortCidrs(list)).toEqual(want);
    expect([...list].sort(compareCidrs)).toEqual(want);
  });

  it('compares numerically, not as text', () => {
    expect(compareCidrs('9.0.0.0/8', '10.0.0.0/8')).toBeLessThan(0);
    expect(compareCidrs('ffff::/16', '2001::/16')).toBeGreaterThan(0);
    expect(compareCidrs('1.2.3.4/32', '1.2.3.4')).toBe(0);
  });

  it('sortCidrs (typed columns, index sort) gives the order of a sort by compareCidrs, ties kept in input order', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = (): string => {
      switch (rnd(6)) {
        case 0:
          return `${rnd(4)}.${rnd(3)}.0.${rnd(256)}/${24 + rnd(9)}`;
        case 1:
          return `${rnd(4)}.${rnd(3)}.0.${rnd(256)}`;
        case 2:
          return `2001:db8:${rnd(3).toString(16)}::${rnd(65536).toString(16)}/${100 + rnd(29)}`;
        case 3:
          return `::ffff:${rnd(4)}.0.0.${rnd(256)}/128`;
        case 4:
          return ['not a cidr', '1.2.3.999/32', '', ' 1.0.0.1/32'][rnd(4)] as string;
        default:
          return `255.255.255.${rnd(256)}/32`;
      }
    };
    for (let round = 0; round < 20; round++) {
      const list = Array.from({ length: 400 }, pick);
      expect(sortCidrs(list)).toEqual([...list].sort(compareCidrs));
    }
  });
});
