import { describe, expect, it } from 'vitest';
import { IPV4_SPECIAL_PURPOSE, IPV6_SPECIAL_PURPOSE } from '../../src/ranges/special-purpose-ranges.ts';
import { normalizeCidr } from '../../src/ranges/normalize-cidr.ts';
import { parseIndicator } from '../../src/ranges/parse-indicator.ts';

const OPTS = { minPrefixV4: 0, minPrefixV6: 0, allowReserved: false };

describe('special-purpose tables', () => {
  it('every entry is canonical CIDR text with a name and an RFC', () => {
    for (const e of [...IPV4_SPECIAL_PURPOSE, ...IPV6_SPECIAL_PURPOSE]) {
      // ::ffff:0:0/96 normalises to IPv4 by design; every other entry is already canonical.
      if (e.cidr !== '::ffff:0:0/96') expect(normalizeCidr(e.cidr)).toBe(e.cidr);
      expect(e.name.length).toBeGreaterThan(0);
      expect(e.rfc).toMatch(/^RFC \d+/);
    }
  });

  it('every entry, globally reachable or not, is rejected as RESERVED', () => {
    for (const e of [...IPV4_SPECIAL_PURPOSE, ...IPV6_SPECIAL_PURPOSE]) {
      if (e.cidr === '::ffff:0:0/96') continue; // mapped space is handled as IPv4
      const r = parseIndicator(e.cidr, undefined, OPTS);
      expect([e.cidr, r.ok ? 'accepted' : r.reason]).toEqual([e.cidr, 'RESERVED']);
    }
  });

  it('their first and last addresses are rejected too', () => {
    for (const v of ['192.31.196.0', '192.31.196.255', '192.88.99.1', '64:ff9b::1', '2620:4f:8000:ffff:ffff:ffff:ffff:ffff', '2002::', '5f00::1', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff']) {
      expect([v, parseIndicator(v, undefined, OPTS).ok]).toEqual([v, false]);
    }
  });

  it('public neighbours of reserved blocks are accepted', () => {
    for (const v of ['9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '223.255.255.255', '2001:200::1', 'fbff::1', 'fec0::1', '192.31.195.255', '192.31.197.0', '2620:4f:7fff::1', '3fff:1000::1', '5eff::1']) {
      expect([v, parseIndicator(v, undefined, OPTS).ok]).toEqual([v, true]);
    }
  });
});
