import { describe, expect, it } from 'vitest';
import { normalizeCidr } from '../../src/ranges/normalize-cidr.ts';

describe('normalizeCidr', () => {
  it.each([
    ['2001:0:9d38:90d6:0:0:0:0/63', '2001:0:9d38:90d6::/63'],
    ['2001:DB8:0000:0000:0001:0000:0000:0001/128', '2001:db8::1:0:0:1/128'],
    ['2001:db8:0:1:1:1:1:1/128', '2001:db8:0:1:1:1:1:1/128'], // a single zero group is not compressed
    ['0:0:0:0:0:0:0:0/0', '::/0'],
    ['10.0.0.5/24', '10.0.0.0/24'],
    ['1.2.3.4', '1.2.3.4/32'],
    ['::1', '::1/128'],
    ['::ffff:1.2.3.4', '1.2.3.4/32'],
    ['  8.8.8.8/32\r\n', '8.8.8.8/32'],
    ['1.2.3.0/255.255.255.0', '1.2.3.0/24'],
    // Moved from graph.cidr-text.test.ts (the Graph side's copy of normalizeCidr is gone).
    ['12.34.221.11/22', '12.34.220.0/22'],
    ['2001:DB8::1/128', '2001:db8::1/128'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    // The graph copy gave ::ffff:102:304/128 here (issue 14): one canonical form, IPv4.
    ['::ffff:1.2.3.4/128', '1.2.3.4/32'],
  ])('%s -> %s', (input, want) => {
    expect(normalizeCidr(input)).toBe(want);
  });

  it.each(['', 'x', '1.2.3.4/33', '01.2.3.4', 'fe80::1%eth0', '1.2.3.4:80', '1:2:3:4:5:6:7:8:9', '1::2::3'])('null for %j', (input) => {
    expect(normalizeCidr(input)).toBeNull();
  });
});
