import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/emulators/graph/emulator-options.ts';
import { P1_TEXT, P2_INNER, P6_INNER, P7_INNER, checkPolicySchema, checkPolicySemantics } from '../../src/emulators/graph/policy-rules.ts';
import { deepMerge, echoPolicy, fillPolicyDefaults } from '../../src/emulators/graph/policy-shape.ts';

const LOC = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const base = () => ({
  displayName: 'P',
  state: 'enabled',
  conditions: {
    clientAppTypes: ['all'],
    applications: { includeApplications: ['All'] },
    users: { includeUsers: ['None'] },
    locations: { includeLocations: [LOC] },
  },
  grantControls: { operator: 'OR', builtInControls: ['block'] },
});
const ctx = { cfg: DEFAULT_CONFIG, locationExists: (id: string) => id === LOC };
const semantic = (body: Record<string, unknown>) => checkPolicySemantics(fillPolicyDefaults(body, 'id', 't'), ctx);
const err = (r: ReturnType<typeof checkPolicySchema>) => (r?.body as { error: { message: string; innerError?: { message?: string } } } | undefined)?.error;

describe('policy rules P1–P8', () => {
  it('accepts the blocking policy; keywords in any case', () => {
    expect(checkPolicySchema(base(), true, false)).toBeUndefined();
    const b = base();
    b.conditions.applications.includeApplications = ['all'];
    b.conditions.locations.includeLocations = ['alltrusted'];
    expect(semantic(b)).toBeUndefined();
  });
  it('P1: bad enums, unknownFutureValue, wrong types, bad operator → 1007', () => {
    const cases: ((b: any) => void)[] = [
      (b) => (b.state = 'on'),
      (b) => (b.conditions.clientAppTypes = ['All']),
      (b) => (b.conditions.platforms = { includePlatforms: ['unknownFutureValue'] }),
      (b) => (b.conditions.platforms = { includePlatforms: ['linux'] }), // without Prefer
      (b) => (b.conditions.signInRiskLevels = ['severe']),
      (b) => (b.grantControls.operator = 'XOR'),
      (b) => (b.grantControls.builtInControls = 'block'),
      (b) => (b.conditions = null),
    ];
    for (const mutate of cases) {
      const b = base();
      mutate(b);
      expect(err(checkPolicySchema(b, true, false))?.message).toBe(P1_TEXT);
    }
    const linux = base() as any;
    linux.conditions.platforms = { includePlatforms: ['linux'] };
    expect(checkPolicySchema(linux, true, true)).toBeUndefined();
  });
  it('P2: clientAppTypes [] → malformed + 1064 inner message', () => {
    const b = base();
    b.conditions.clientAppTypes = [];
    expect(err(semantic(b))).toMatchObject({ message: 'The server could not process the request because it is malformed or incorrect.', innerError: { message: P2_INNER } });
  });
  it('P3: unknown location id → 1040; the MFA trusted-IPs id is accepted', () => {
    const b = base();
    b.conditions.locations.includeLocations = ['9a9a9a9a-9a9a-4a9a-8a9a-9a9a9a9a9a9a'];
    expect(err(semantic(b))?.message).toBe('1040: NamedLocation with id 9a9a9a9a-9a9a-4a9a-8a9a-9a9a9a9a9a9a does not exist in the directory.');
    b.conditions.locations.includeLocations = ['00000000-0000-0000-0000-000000000000'];
    expect(semantic(b)).toBeUndefined();
  });
  it('P4: no applications, or neither users nor clientApplications → 1007', () => {
    const noApps = base() as any;
    delete noApps.conditions.applications;
    expect(err(semantic(noApps))?.message).toBe(P1_TEXT);
    const noUsers = base() as any;
    delete noUsers.conditions.users;
    expect(err(semantic(noUsers))?.message).toBe(P1_TEXT);
  });
  it('P5: no grant and no session control', () => {
    const b = base() as any;
    b.grantControls = null;
    expect(err(semantic(b))?.message).toMatch(/^EMULATOR: P5/);
  });
  it('P6: passwordChange outside its allowed combination → 1032', () => {
    const b = base() as any;
    b.grantControls = { operator: 'OR', builtInControls: ['passwordChange'] };
    expect(err(semantic(b))?.innerError?.message).toBe(P6_INNER);
    const ok = base() as any;
    delete ok.conditions.locations;
    ok.conditions.userRiskLevels = ['high'];
    ok.grantControls = { operator: 'AND', builtInControls: ['mfa', 'passwordChange'] };
    expect(semantic(ok)).toBeUndefined();
  });
  it('P7: exchangeActiveSync with macOS or linux (configurable matrix)', () => {
    const b = base() as any;
    b.conditions.clientAppTypes = ['exchangeActiveSync'];
    b.conditions.platforms = { includePlatforms: ['linux'] };
    expect(err(semantic(b))?.innerError?.message).toBe(P7_INNER);
    b.conditions.platforms = { includePlatforms: ['iOS', 'android'] };
    expect(semantic(b)).toBeUndefined();
    expect(checkPolicySemantics(fillPolicyDefaults({ ...b, conditions: { ...b.conditions, platforms: { includePlatforms: ['macOS'] } } }, 'i', 't'), { ...ctx, cfg: { ...DEFAULT_CONFIG, platformMatrix: {} } })).toBeUndefined();
  });
  it('P8: platforms present with an empty includePlatforms', () => {
    const b = base() as any;
    b.conditions.platforms = { includePlatforms: [], excludePlatforms: [] };
    expect(err(semantic(b))?.message).toMatch(/^EMULATOR: P8/);
  });
});

describe('policy shape', () => {
  it('fills Graph’s defaults on create', () => {
    const full = fillPolicyDefaults(base(), 'id1', 't1') as any;
    expect(full).toMatchObject({ id: 'id1', createdDateTime: 't1', modifiedDateTime: null, sessionControls: null });
    expect(full.conditions).toMatchObject({ signInRiskLevels: [], userRiskLevels: [], platforms: null });
    expect(full.conditions.users).toMatchObject({ includeUsers: ['None'], excludeUsers: [], includeRoles: [], excludeRoles: [] });
    expect(full.grantControls).toMatchObject({ customAuthenticationFactors: [], termsOfUse: [] });
  });
  it('PATCH deep-merges objects, replaces arrays, null clears', () => {
    const merged = deepMerge(fillPolicyDefaults(base(), 'i', 't'), { conditions: { users: { includeUsers: ['All'] }, platforms: null }, state: 'disabled' }) as any;
    expect(merged.conditions.users.includeUsers).toEqual(['All']);
    expect(merged.conditions.users.excludeUsers).toEqual([]);
    expect(merged.conditions.clientAppTypes).toEqual(['all']);
    expect(merged.conditions.platforms).toBeNull();
    expect(merged.state).toBe('disabled');
  });
  it('hides evolvable members unless Prefer: include-unknown-enum-members', () => {
    const p = fillPolicyDefaults({ ...base(), conditions: { ...base().conditions, platforms: { includePlatforms: ['linux', 'iOS'] } } }, 'i', 't');
    expect((echoPolicy(p, false) as any).conditions.platforms.includePlatforms).toEqual(['unknownFutureValue', 'iOS']);
    expect((echoPolicy(p, true) as any).conditions.platforms.includePlatforms).toEqual(['linux', 'iOS']);
  });
});
