import { describe, expect, it } from 'vitest';
import { locationMatchesSpec, policyMatchesBody, sameKeywords } from '../../src/graph/graph-compare.ts';
import { sameCidrs } from '../../src/ranges/index.ts';
import { toConditionalAccessPolicy, toPolicyJson } from '../../src/graph/conditional-access-policies.ts';
import { toNamedLocation, toNamedLocationJson } from '../../src/graph/named-locations.ts';
import type { PolicyBody } from '../../src/graph/graph-types.ts';

const body: PolicyBody = {
  displayName: 'P',
  state: 'enabled',
  conditions: {
    clientAppTypes: ['all'],
    signInRiskLevels: [],
    applications: { includeApplications: ['All'], excludeApplications: [] },
    locations: { includeLocations: ['ID-1'], excludeLocations: [] },
  },
  grantControls: { operator: 'OR', builtInControls: ['block'] },
};

describe('comparisons', () => {
  it('keywords ignore case and order; CIDRs compare normalised', () => {
    expect(sameKeywords(['All', 'None'], ['none', 'all'])).toBe(true);
    expect(sameKeywords(['All'], ['All', 'None'])).toBe(false);
    expect(sameCidrs(['12.34.221.11/22', '2001:0DB8:0:0:0:0:0:1/128'], ['2001:db8::1/128', '12.34.220.0/22'])).toBe(true);
    expect(sameCidrs(['1.2.3.0/24'], ['1.2.3.0/25'])).toBe(false);
  });
  it('a location matches its spec when name, trust and ranges agree', () => {
    const loc = { id: 'x', displayName: 'L', ipRanges: ['1.2.3.4/24'], isTrusted: false, createdDateTime: '', modifiedDateTime: null };
    expect(locationMatchesSpec(loc, { displayName: 'L', ipRanges: ['1.2.3.0/24'], isTrusted: false })).toBe(true);
    expect(locationMatchesSpec(loc, { displayName: 'L', ipRanges: ['1.2.3.0/24'], isTrusted: true })).toBe(false);
  });
  it('a policy echoed by Graph matches the body it was created from', () => {
    const echo = toConditionalAccessPolicy({
      id: 'p',
      displayName: 'P',
      state: 'enabled',
      conditions: {
        clientAppTypes: ['all'],
        signInRiskLevels: [],
        applications: { includeApplications: ['all'], excludeApplications: [] },
        users: { includeUsers: ['None'] },
        platforms: null,
        locations: { includeLocations: ['id-1'], excludeLocations: [] },
      },
      grantControls: { operator: 'OR', builtInControls: ['block'] },
    });
    expect(echo.conditions.users?.excludeUsers).toEqual([]);
    expect(policyMatchesBody(echo, body)).toBe(true);
    expect(policyMatchesBody(echo, { ...body, state: 'disabled' })).toBe(false);
    expect(policyMatchesBody(echo, { ...body, conditions: { ...body.conditions, users: { includeUsers: ['All'] } } })).toBe(false);
    expect(policyMatchesBody(echo, { ...body, conditions: { ...body.conditions, platforms: { includePlatforms: ['all'], excludePlatforms: [] } } })).toBe(false);
  });
});

describe('wire mapping', () => {
  it('types each range by family and sends @odata.type', () => {
    expect(toNamedLocationJson({ displayName: 'L', ipRanges: ['1.2.3.0/24', '2001:db8::/32'], isTrusted: false })).toEqual({
      '@odata.type': '#microsoft.graph.ipNamedLocation',
      displayName: 'L',
      isTrusted: false,
      ipRanges: [
        { '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '1.2.3.0/24' },
        { '@odata.type': '#microsoft.graph.iPv6CidrRange', cidrAddress: '2001:db8::/32' },
      ],
    });
  });
  it('refuses empty, oversized and malformed range lists with a clear error', () => {
    expect(() => toNamedLocationJson({ displayName: 'L', ipRanges: [], isTrusted: false })).toThrow(/ipRanges is empty/);
    const many = Array.from({ length: 2001 }, (_, i) => `11.${i >> 8}.${i & 255}.0/24`);
    expect(() => toNamedLocationJson({ displayName: 'L', ipRanges: many, isTrusted: false })).toThrow(/2001 ranges, more than Graph's 2000/);
    expect(() => toNamedLocationJson({ displayName: 'L', ipRanges: ['10.0.0.1'], isTrusted: false })).toThrow(/"10.0.0.1" is not a CIDR/);
  });
  it('reads wire locations, lower/upper ranges kept as text', () => {
    const l = toNamedLocation({ id: 'i', displayName: 'L', ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4Range', lowerAddress: '1.1.1.1', upperAddress: '1.1.1.9' }] });
    expect(l).toMatchObject({ ipRanges: ['1.1.1.1-1.1.1.9'], isTrusted: false, modifiedDateTime: null });
  });
  it('leaves unmanaged users and platforms out of the policy body', () => {
    const json = toPolicyJson(body) as any;
    expect(json.conditions).not.toHaveProperty('users');
    expect(json.conditions).not.toHaveProperty('platforms');
    expect((toPolicyJson({ ...body, conditions: { ...body.conditions, platforms: null } }) as any).conditions.platforms).toBeNull();
    expect(json).not.toHaveProperty('sessionControls');
  });
});
