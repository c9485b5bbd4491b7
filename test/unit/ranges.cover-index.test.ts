import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoverIndex } from '../../src/ranges/index.ts';

function indexOf(cidrs: readonly string[]): CoverIndex {
  const ix = new CoverIndex();
  for (const c of cidrs) ix.add(c);
  return ix;
}

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

describe('CoverIndex', () => {
  it('answers containment for addresses and CIDRs of both families', () => {
    const ix = indexOf(['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/48', '::ffff:192.0.2.0/120']);
    expect(ix.covers('203.0.113.77')).toBe(true);
    expect(ix.covers('203.0.113.128/25')).toBe(true);
    expect(ix.covers('203.0.112.0/23')).toBe(false);
    expect(ix.covers('198.51.100.7')).toBe(true);
    expect(ix.covers('198.51.100.8')).toBe(false);
    expect(ix.covers('2001:db8:0:ffff::1')).toBe(true);
    expect(ix.covers('2001:db8:1::1')).toBe(false);
    expect(ix.covers('2001:db8::/47')).toBe(false);
    expect(ix.covers('192.0.2.9')).toBe(true); // added as IPv4-mapped IPv6
    expect(ix.covers('not an address')).toBe(false);
    expect(ix.intervals).toBe(4);
  });

  it('counts a value spanning adjacent ranges kept apart by a floor as covered', () => {
    const ix = indexOf(['10.0.0.0/8', '11.0.0.0/8', '2001:db8::/33', '2001:db8:8000::/33']);
    expect(ix.covers('10.0.0.0/7')).toBe(true);
    expect(ix.covers('10.0.0.0/6')).toBe(false);
    expect(ix.covers('2001:db8::/32')).toBe(true);
    expect(ix.intervals).toBe(2);
  });

  it('coalesces adjacent ranges that are no one CIDR into one interval', () => {
    const ix = indexOf(['10.0.0.128/25', '10.0.1.0/24', '10.0.3.0/24', '2001:db8::8000/113', '2001:db8::1:0/112']);
    expect(ix.intervals).toBe(3);
    expect(ix.covers('10.0.1.7')).toBe(true);
    expect(ix.covers('10.0.2.7')).toBe(false);
    expect(ix.covers('2001:db8::1:5')).toBe(true);
  });

  it('skips texts that are not ranges and covers nothing when empty', () => {
    const ix = indexOf(['garbage', '1.2.3.4/33']);
    expect(ix.skipped).toBe(2);
    expect(ix.covers('1.2.3.4')).toBe(false);
    expect(() => ix.add('1.2.3.4')).toThrow(/after the first question/);
  });

  it('agrees with a brute-force check over small IPv4 ranges', () => {
    const block = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 26, max: 32 }));
    fc.assert(
      fc.property(fc.array(block, { maxLength: 12 }), block, (ranges, [qHost, qPrefix]) => {
        const base = 0xc0000200; // 192.0.2.0: every range lies in one /24
        const cidr = ([host, prefix]: [number, number]) => `${v4(base + host)}/${prefix}`;
        const held = new Set<number>();
        for (const [host, prefix] of ranges) {
          const size = 2 ** (32 - prefix);
          const first = host - (host % size);
          for (let a = first; a < first + size; a++) held.add(a);
        }
        const size = 2 ** (32 - qPrefix);
        const first = qHost - (qHost % size);
        let expected = true;
        for (let a = first; a < first + size; a++) if (!held.has(a)) expected = false;
        expect(indexOf(ranges.map(cidr)).covers(cidr([qHost, qPrefix]))).toBe(expected);
      }),
    );
  });
});
