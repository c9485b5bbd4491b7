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
});
