import { describe, expect, it } from 'vitest';
import { cidrsOverlap, parseCidr } from '../../src/ranges/cidr-address.ts';
import { normalizeCidr } from '../../src/ranges/index.ts';

// The normalisation cases that were here moved to ranges.normalize-cidr.test.ts: Graph's side has no
// normalizeCidr of its own any more (one owner, src/ranges).
describe("parseCidr (Graph's cidrAddress grammar)", () => {
  it('reads address/prefix in the family as written', () => {
    expect(parseCidr('12.34.221.11/22')).toMatchObject({ family: 4, prefix: 22 });
    expect(parseCidr('2001:0:9d38:90d6:0:0:0:0/63')).toMatchObject({ family: 6, prefix: 63 });
    expect(parseCidr('2001:DB8::1/128')).toMatchObject({ family: 6, prefix: 128 });
    // An IPv4-mapped range is an iPv6CidrRange on the wire, although the range engine unmaps it.
    expect(parseCidr('::ffff:1.2.3.4/128')).toMatchObject({ family: 6, prefix: 128 });
    expect(normalizeCidr('::ffff:1.2.3.4/128')).toBe('1.2.3.4/32');
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ family: 4, prefix: 0 });
    expect(parseCidr('10.0.0.0/024')).toMatchObject({ family: 4, prefix: 24 });
  });
  it('refuses bare addresses and malformed input', () => {
    for (const bad of ['1.2.3.4', '1.2.3.4/33', '::1/129', '1.2.3.4/-1', '1.2.3.4/1/2', 'x/8', '', '1.2.3.4/08a']) {
      expect(parseCidr(bad)).toBeUndefined();
    }
    for (const bad of [' 1.2.3.4/32', '[::1]/128', 'fe80::1%eth0/64', '1.2.3.0/255.255.255.0', '01.2.3.4/32']) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });
  it('detects overlap within a family only', () => {
    const a = parseCidr('10.0.0.0/8')!;
    expect(cidrsOverlap(a, parseCidr('10.200.0.0/16')!)).toBe(true);
    expect(cidrsOverlap(a, parseCidr('11.0.0.0/8')!)).toBe(false);
    expect(cidrsOverlap(a, parseCidr('::a00:0/104')!)).toBe(false);
    expect(cidrsOverlap(parseCidr('::ffff:0:0/96')!, parseCidr('::ffff:10.1.2.3/128')!)).toBe(true);
    expect(cidrsOverlap(parseCidr('::ffff:0:0/96')!, parseCidr('10.1.2.3/32')!)).toBe(false);
  });
});
