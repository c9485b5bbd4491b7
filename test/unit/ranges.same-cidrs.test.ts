import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeCidr, sameCidrs } from '../../src/ranges/index.ts';

// Issue 14: Graph's side had a normalizeCidr of its own that wrote ::ffff:1.2.3.4/128 as
// ::ffff:102:304/128, so apply's comparison (graph-compare's sameCidrs) called a location holding the
// planned 1.2.3.4/32 different while the plan (read-live-state, the range engine's normalizeCidr)
// called it unchanged. Now there is one normalizeCidr and one sameCidrs, in src/ranges.
describe('sameCidrs', () => {
  it('sees a location written as IPv4-mapped IPv6 as the planned IPv4 ranges', () => {
    expect(sameCidrs(['::ffff:1.2.3.4/128', '::FFFF:5.6.7.0/120'], ['1.2.3.4/32', '5.6.7.0/24'])).toBe(true);
    expect(sameCidrs(['12.34.221.11/22', '2001:0DB8:0:0:0:0:0:1/128'], ['2001:db8::1/128', '12.34.220.0/22'])).toBe(true);
    expect(sameCidrs(['1.2.3.4'], ['1.2.3.4/32'])).toBe(true);
    expect(sameCidrs(['1.2.3.0/24'], ['1.2.3.0/25'])).toBe(false);
    expect(sameCidrs([' Not-A-Cidr '], ['not-a-cidr'])).toBe(true);
  });

  it("agrees with the plan's reading of live ranges (normalizeCidr, unparsable kept verbatim)", () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 8, max: 32 }));
    const written = v4.chain(([a, b, c, d, p]) =>
      fc.constantFrom(`${a}.${b}.${c}.${d}/${p}`, `::ffff:${a}.${b}.${c}.${d}/${p + 96}`, `0:0:0:0:0:FFFF:${a}.${b}.${c}.${d}/${p + 96}`),
    );
    fc.assert(
      fc.property(fc.array(written, { maxLength: 8 }), (live) => {
        const planned = live.map((c) => normalizeCidr(c) ?? c);
        expect(sameCidrs(live, planned)).toBe(true);
        expect(sameCidrs(live, [...planned, '203.0.113.77/32'])).toBe(planned.includes('203.0.113.77/32'));
      }),
    );
  });
});
