import { describe, expect, it } from 'vitest';
import { cidrsOverlap, normalizeCidr, parseCidr } from '../../src/graph/cidr-text.ts';

describe('parseCidr / normalizeCidr', () => {
  it('normalises host bits and IPv6 text', () => {
    expect(normalizeCidr('12.34.221.11/22')).toBe('12.34.220.0/22');
    expect(normalizeCidr('2001:0:9d38:90d6:0:0:0:0/63')).toBe('2001:0:9d38:90d6::/63');
    expect(normalizeCidr('2001:DB8::1/128')).toBe('2001:db8::1/128');
    expect(normalizeCidr('::ffff:1.2.3.4/128')).toBe('::ffff:102:304/128');
    expect(normalizeCidr('0.0.0.0/0')).toBe('0.0.0.0/0');
  });
  it('refuses bare addresses and malformed input', () => {
    for (const bad of ['1.2.3.4', '1.2.3.4/33', '::1/129', '1.2.3.4/-1', '1.2.3.4/1/2', 'x/8', '', '1.2.3.4/08a']) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });
  it('detects overlap within a family only', () => {
    const a = parseCidr('10.0.0.0/8')!;
    expect(cidrsOverlap(a, parseCidr('10.200.0.0/16')!)).toBe(true);
    expect(cidrsOverlap(a, parseCidr('11.0.0.0/8')!)).toBe(false);
    expect(cidrsOverlap(a, parseCidr('::a00:0/104')!)).toBe(false);
  });
});
