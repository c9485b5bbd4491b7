import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../src/emulators/graph/emulator-options.ts';
import { NL1_TEXT, checkNamedLocationDelete, checkNamedLocationWrite } from '../../src/emulators/graph/named-location-rules.ts';

const cfg = DEFAULT_CONFIG;
const v4 = (cidrAddress: string) => ({ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress });
const v6 = (cidrAddress: string) => ({ '@odata.type': '#microsoft.graph.iPv6CidrRange', cidrAddress });
const loc = (ipRanges: unknown, extra: Record<string, unknown> = {}) => ({ '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'X', ipRanges, ...extra });
const message = (r: ReturnType<typeof checkNamedLocationWrite>) => (r?.body as { error: { message: string } } | undefined)?.error.message;

describe('named-location rules NL1–NL10', () => {
  it('accepts a valid body, host bits set and uncompressed IPv6 included', () => {
    expect(checkNamedLocationWrite(loc([v4('12.34.221.11/22'), v6('2001:0:9d38:90d6:0:0:0:0/63'), v4('10.0.0.0/8')]), cfg)).toBeUndefined();
  });
  it('NL1: missing or unknown @odata.type gets the 1042 text, also on PATCH', () => {
    expect(message(checkNamedLocationWrite({ displayName: 'X', ipRanges: [v4('1.2.3.4/32')] }, cfg))).toBe(NL1_TEXT);
    expect(message(checkNamedLocationWrite({ ...loc([v4('1.2.3.4/32')]), '@odata.type': '#microsoft.graph.namedLocation' }, cfg))).toBe(NL1_TEXT);
    expect(message(checkNamedLocationWrite({ isTrusted: false }, cfg, loc([])))).toBe(NL1_TEXT);
  });
  it('NL2: displayName and a non-empty ipRanges are required on POST', () => {
    expect(message(checkNamedLocationWrite(loc([v4('1.2.3.4/32')], { displayName: '' }), cfg))).toMatch(/^EMULATOR: NL2/);
    expect(message(checkNamedLocationWrite(loc([]), cfg))).toMatch(/^EMULATOR: NL2/);
    expect(message(checkNamedLocationWrite({ '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'X' }, cfg))).toMatch(/^EMULATOR: NL2/);
  });
  it('NL3: range type missing, unknown or of the wrong family', () => {
    expect(message(checkNamedLocationWrite(loc([{ cidrAddress: '1.2.3.4/32' }]), cfg))).toMatch(/^EMULATOR: NL3/);
    expect(message(checkNamedLocationWrite(loc([v6('1.2.3.4/32')]), cfg))).toMatch(/^EMULATOR: NL3/);
  });
  it('NL4: bare IPs, garbage and out-of-range prefixes', () => {
    for (const bad of ['1.2.3.4', '1.2.3.4/33', '300.1.1.1/32', 'a.b.c.d/8', '1.2.3.4/ 8']) {
      expect(message(checkNamedLocationWrite(loc([v4(bad)]), cfg))).toMatch(/^EMULATOR: NL4/);
    }
  });
  it('NL5: prefixes broader than /8 (both families); /8 itself is allowed', () => {
    expect(message(checkNamedLocationWrite(loc([v4('8.0.0.0/7')]), cfg))).toMatch(/^EMULATOR: NL5/);
    expect(message(checkNamedLocationWrite(loc([v6('2000::/7')]), cfg))).toMatch(/^EMULATOR: NL5/);
    expect(checkNamedLocationWrite(loc([v4('8.0.0.0/8')]), cfg)).toBeUndefined();
  });
  it('NL6: more than 2000 ranges', () => {
    const ranges = Array.from({ length: 2001 }, (_, i) => v4(`11.${i >> 8}.${i & 255}.0/24`));
    expect(message(checkNamedLocationWrite(loc(ranges), cfg))).toMatch(/^EMULATOR: NL6/);
    expect(checkNamedLocationWrite(loc(ranges.slice(0, 2000)), cfg)).toBeUndefined();
  });
  it('NL8: a trusted location cannot be deleted', () => {
    expect(message(checkNamedLocationDelete({ id: 'a', isTrusted: true }, [], cfg))).toMatch(/^EMULATOR: NL8/);
  });
  it('NL9: a location referenced by a policy cannot be deleted (flag)', () => {
    const policies = [{ id: 'p', conditions: { locations: { includeLocations: ['All'], excludeLocations: ['ABC'] } } }];
    expect(message(checkNamedLocationDelete({ id: 'abc', isTrusted: false }, policies, cfg))).toMatch(/^EMULATOR: NL9/);
    expect(checkNamedLocationDelete({ id: 'abc', isTrusted: false }, policies, mergeConfig(cfg, { rejectReferencedDelete: false }))).toBeUndefined();
  });
  it('NL10: private and reserved ranges only with strictPublic', () => {
    const strict = mergeConfig(cfg, { strictPublic: true });
    expect(message(checkNamedLocationWrite(loc([v4('192.168.1.0/24')]), strict))).toMatch(/^EMULATOR: NL10/);
    expect(message(checkNamedLocationWrite(loc([v6('fd00::/8')]), strict))).toMatch(/^EMULATOR: NL10/);
    expect(checkNamedLocationWrite(loc([v4('8.8.8.0/24')]), strict)).toBeUndefined();
    expect(checkNamedLocationWrite(loc([v4('192.168.1.0/24')]), cfg)).toBeUndefined();
  });
  it('duplicates are accepted unless rejectDuplicateRanges', () => {
    const dup = loc([v4('1.2.3.0/24'), v4('1.2.3.0/24')]);
    expect(checkNamedLocationWrite(dup, cfg)).toBeUndefined();
    expect(checkNamedLocationWrite(dup, mergeConfig(cfg, { rejectDuplicateRanges: true }))).toBeDefined();
  });
});
