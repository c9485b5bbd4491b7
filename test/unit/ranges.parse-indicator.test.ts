import { describe, expect, it } from 'vitest';
import { parseIndicator } from '../../src/ranges/parse-indicator.ts';
import { REJECT_CODES, type RejectCode } from '../../src/ranges/reason-codes.ts';
import type { RangeOptions } from '../../src/ranges/range-options.ts';

const OPTS: RangeOptions = { minPrefixV4: 8, minPrefixV6: 8, allowReserved: false };
const OPEN: RangeOptions = { minPrefixV4: 0, minPrefixV6: 0, allowReserved: true };

function ok(value: string, options = OPTS, type?: Parameters<typeof parseIndicator>[1]) {
  const r = parseIndicator(value, type, options);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(value)} to be accepted, got ${r.reason}: ${r.message}`);
  return r;
}

function rejected(value: string, options = OPTS): RejectCode {
  const r = parseIndicator(value, undefined, options);
  if (r.ok) throw new Error(`expected ${JSON.stringify(value)} to be rejected, got ${r.cidrs.join(',')}`);
  return r.reason;
}

describe('parseIndicator: canonical ranges', () => {
  it('an IPv4 address becomes /32, an IPv6 address /128', () => {
    expect(ok('8.8.8.8').cidrs).toEqual(['8.8.8.8/32']);
    expect(ok('8.8.8.8').family).toBe(4);
    expect(ok('2606:4700::1111').cidrs).toEqual(['2606:4700::1111/128']);
    expect(ok('2606:4700::1111').family).toBe(6);
  });

  it('a CIDR is kept; host bits are cleared with a HOST_BITS_CLEARED warning', () => {
    expect(ok('8.8.8.0/24')).toMatchObject({ cidrs: ['8.8.8.0/24'], warnings: [] });
    expect(ok('8.8.8.77/24')).toMatchObject({ cidrs: ['8.8.8.0/24'], warnings: ['HOST_BITS_CLEARED'] });
    expect(ok('2606:4700::1/32')).toMatchObject({ cidrs: ['2606:4700::/32'], warnings: ['HOST_BITS_CLEARED'] });
  });

  it('IPv6 in any notation becomes RFC 5952 text', () => {
    for (const v of ['2606:4700:0000:0000:0000:0000:0000:1111', '2606:4700::1111', '2606:4700:0:0:0:0:0:1111', '2606:4700::1111'.toUpperCase(), '2606:4700::0:1111']) {
      expect(ok(v).cidrs).toEqual(['2606:4700::1111/128']);
    }
    expect(ok('2606:0:0:1:0:0:0:1').cidrs).toEqual(['2606:0:0:1::1/128']); // longest run wins
    expect(ok('2606:0:0:1:0:0:1:1').cidrs).toEqual(['2606::1:0:0:1:1/128']); // leftmost on a tie
    expect(ok('2606:1:1:1:1:1:0:1').cidrs).toEqual(['2606:1:1:1:1:1:0:1/128']); // one zero group stays
    expect(ok('2606:4700::8.8.8.8').cidrs).toEqual(['2606:4700::808:808/128']); // embedded dotted quad
  });

  it('IPv4-mapped IPv6 becomes the IPv4 range with an IPV4_MAPPED warning', () => {
    expect(ok('::ffff:8.8.8.8')).toMatchObject({ cidrs: ['8.8.8.8/32'], family: 4, warnings: ['IPV4_MAPPED'] });
    expect(ok('::FFFF:808:808')).toMatchObject({ cidrs: ['8.8.8.8/32'], family: 4 });
    expect(ok('::ffff:8.8.8.0/120')).toMatchObject({ cidrs: ['8.8.8.0/24'], family: 4 });
  });

  it('surrounding whitespace, a BOM and CR are trimmed', () => {
    expect(ok('  8.8.8.8\t').cidrs).toEqual(['8.8.8.8/32']);
    expect(ok('\uFEFF8.8.8.8').cidrs).toEqual(['8.8.8.8/32']);
    expect(ok('8.8.8.8\r').cidrs).toEqual(['8.8.8.8/32']);
    expect(ok('[2606:4700::1111]').cidrs).toEqual(['2606:4700::1111/128']);
  });

  it('accepts a prefix with leading zeros, a contiguous IPv4 netmask or host mask', () => {
    expect(ok('8.8.8.0/024').cidrs).toEqual(['8.8.8.0/24']);
    expect(ok('8.8.0.0/255.255.0.0').cidrs).toEqual(['8.8.0.0/16']);
    expect(ok('8.8.8.0/0.0.0.255').cidrs).toEqual(['8.8.8.0/24']); // host mask, as Python reads it
  });
});

describe('parseIndicator: ThreatQ type', () => {
  it('a value whose family contradicts its type is classified by the value, with TYPE_MISMATCH', () => {
    expect(ok('2606:4700::1111', OPTS, 'IP Address')).toMatchObject({ family: 6, warnings: ['TYPE_MISMATCH'] });
    expect(ok('8.8.8.8', OPTS, 'IPv6 Address')).toMatchObject({ family: 4, warnings: ['TYPE_MISMATCH'] });
    expect(ok('8.8.8.0/24', OPTS, 'IP Address')).toMatchObject({ warnings: ['TYPE_MISMATCH'] });
  });

  it('matching types give no warning', () => {
    expect(ok('8.8.8.8', OPTS, 'IP Address').warnings).toEqual([]);
    expect(ok('2606:4700::1111', OPTS, 'IPv6 Address').warnings).toEqual([]);
    expect(ok('8.8.8.0/24', OPTS, 'CIDR Block').warnings).toEqual([]);
    expect(ok('8.8.8.8', OPTS, 'CIDR Block').warnings).toEqual([]);
    expect(ok('::ffff:8.8.8.8', OPTS, 'IPv6 Address').warnings).toEqual(['IPV4_MAPPED']);
  });
});

describe('parseIndicator: rejections (one per reason code)', () => {
  const cases: Array<[RejectCode, string[]]> = [
    ['EMPTY', ['', '   ', '\uFEFF', '\r']],
    ['NOT_AN_ADDRESS', ['example.com', '1.2.3', '1.2.3.4.5', '1.2.3.4-1.2.3.9', '0x7f.0.0.1', '8.8.8.*', '2001:db8::g', '1::2::3', '1:2:3:4:5:6:7:8:9', ':1::', '8.8.8.8 8.8.4.4', '[8.8.8.8]']],
    ['OCTET_OUT_OF_RANGE', ['256.1.1.1', '8.8.8.999', '::ffff:8.8.8.256']],
    ['LEADING_ZERO', ['010.1.1.1', '8.8.8.08', '8.008.8.8']],
    ['ZONE_INDEX', ['fe80::1%eth0', 'fe80::1%1/64']],
    ['PORT_SUFFIX', ['8.8.8.8:53', '[2606:4700::1111]:443']],
    ['BAD_PREFIX', ['8.8.8.0/33', '8.8.8.0/', '8.8.8.0/x', '8.8.8.0/-1', '8.8.8.0/2.5', '8.8.8.0/255.0.255.0', '2606::/129', '8.8.8.0/24/25']],
    ['PREFIX_TOO_BROAD', ['8.0.0.0/7', '2000::/3']],
    ['RESERVED', ['10.1.2.3', '192.168.0.0/16', '127.0.0.1', '100.64.0.1', '169.254.1.1', '224.0.0.1', '240.0.0.0/8', '255.255.255.255', '0.0.0.0', '192.0.2.1', '198.18.0.1', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', '2001:db8::1', '2002::1']],
  ];

  it('covers every reason code', () => {
    expect(cases.map(([c]) => c).sort()).toEqual([...REJECT_CODES].sort());
  });

  for (const [code, values] of cases) {
    it(`${code}: ${values.map((v) => JSON.stringify(v)).join(' ')}`, () => {
      for (const v of values) expect([v, rejected(v)]).toEqual([v, code]);
    });
  }

  it('messages name the input and what is wrong', () => {
    const r = parseIndicator('8.0.0.0/7', undefined, OPTS);
    expect(r).toMatchObject({ ok: false, reason: 'PREFIX_TOO_BROAD' });
    if (!r.ok) expect(r.message).toContain('"8.0.0.0/7"');
    if (!r.ok) expect(r.message).toContain('/7 is broader than the IPv4 floor /8');
    const q = parseIndicator('10.1.2.3', undefined, OPTS);
    if (!q.ok) expect(q.message).toMatch(/10\.0\.0\.0\/8 Private-Use \(RFC 1918\)/);
  });

  it('never throws, whatever the input', () => {
    for (const v of ['\u0000', '/', ':', '::/', '[', ']', '[]', '%', '1.1.1.1/', 'a'.repeat(100_000), '\uD800', '1'.repeat(400)]) {
      expect(() => parseIndicator(v, undefined, OPTS)).not.toThrow();
    }
  });
});

describe('parseIndicator: policy options', () => {
  it('the prefix floor is configurable per family', () => {
    expect(rejected('8.8.0.0/16', { ...OPTS, minPrefixV4: 24 })).toBe('PREFIX_TOO_BROAD');
    expect(ok('8.8.8.0/24', { ...OPTS, minPrefixV4: 24 }).cidrs).toEqual(['8.8.8.0/24']);
    expect(rejected('2606:4700::/32', { ...OPTS, minPrefixV6: 48 })).toBe('PREFIX_TOO_BROAD');
    expect(ok('0.0.0.0/0', OPEN).cidrs).toEqual(['0.0.0.0/0']);
  });

  it('allowReserved keeps reserved space', () => {
    expect(ok('10.1.2.3', OPEN).cidrs).toEqual(['10.1.2.3/32']);
    expect(ok('fe80::1', OPEN).cidrs).toEqual(['fe80::1/128']);
  });

  it('a CIDR partly in reserved space keeps only its public part (RESERVED_PART_REMOVED)', () => {
    const r = ok('192.0.0.0/22');
    expect(r.cidrs).toEqual(['192.0.1.0/24', '192.0.3.0/24']);
    expect(r.warnings).toEqual(['RESERVED_PART_REMOVED']);
    const v6 = ok('2001::/16', { ...OPTS, minPrefixV6: 0 });
    expect(v6.cidrs[0]).toBe('2001:200::/23');
    expect(v6.cidrs).not.toContain('2001:db8::/32');
  });

  it('a CIDR covered by several reserved blocks together is rejected as RESERVED', () => {
    expect(rejected('224.0.0.0/3', { ...OPTS, minPrefixV4: 0 })).toBe('RESERVED'); // multicast + 240/4
  });
});
