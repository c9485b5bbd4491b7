/**
 * The Graph emulator's Conditional Access What If (`POST /identity/conditionalAccess/evaluate`):
 * request validation as strict as Microsoft's reference, and each condition kind (users and groups,
 * applications, platforms, client app types, locations incl. trusted / All / AllTrusted, risk, state),
 * evaluated on replicated state. Driven through the routes with the emulator's own clock.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../src/emulators/graph/emulator-options.ts';
import { handleResource } from '../../src/emulators/graph/resource-routes.ts';
import { TenantStore } from '../../src/emulators/graph/tenant-store.ts';
import { emptyDirectory } from '../../src/emulators/graph/what-if-evaluate.ts';
import { handleEvaluate } from '../../src/emulators/graph/what-if-route.ts';

const IP = '#microsoft.graph.ipNamedLocation';
const USER = '11111111-1111-4111-8111-111111111111';
const EMERGENCY = '22222222-2222-4222-8222-222222222222';
const GUEST = '33333333-3333-4333-8333-333333333333';
const GROUP = '44444444-4444-4444-8444-444444444444';
const EXCHANGE = '00000002-0000-0ff1-ce00-000000000000';
const AZURE = '797f4846-ba00-4fd7-ba43-dac1f8f63013';

function tenant(replicationDelayMs = 0) {
  const store = new TenantStore();
  let now = 1_700_000_000_000;
  const cfg = mergeConfig(DEFAULT_CONFIG, { replicationDelayMs, replicationMixedFraction: 0 });
  const directory = emptyDirectory();
  for (const u of [USER, EMERGENCY]) directory.users.set(u, { guest: false });
  directory.users.set(GUEST, { guest: true });
  directory.groups.set(GROUP, new Set([EMERGENCY]));
  const ctx = (path: string) => ({ store, cfg, now, url: new URL(`https://emu.test/v1.0/identity/conditionalAccess/${path}`), evolvable: false });
  const create = (kind: 'namedLocations' | 'policies', body: unknown): string => {
    const out = handleResource(kind, 'POST', undefined, body, ctx(kind));
    expect(out.status).toBe(201);
    return (out.body as { id: string }).id;
  };
  const loc = (cidrs: string[], isTrusted = false): string =>
    create('namedLocations', { '@odata.type': IP, displayName: `L${cidrs[0]}`, isTrusted, ipRanges: cidrs.map((c) => ({ '@odata.type': `#microsoft.graph.iPv${c.includes(':') ? 6 : 4}CidrRange`, cidrAddress: c })) });
  const policy = (conditions: Record<string, unknown>, state = 'enabled'): string =>
    create('policies', {
      displayName: 'Block',
      state,
      conditions: { clientAppTypes: ['all'], applications: { includeApplications: ['All'] }, users: { includeUsers: ['All'] }, ...conditions },
      grantControls: { operator: 'OR', builtInControls: ['block'] },
    });
  const evaluate = (body: unknown) => {
    const out = handleEvaluate('POST', body, ctx('evaluate'), directory);
    return { status: out.status, body: out.body as any };
  };
  /** policyApplies and analysisReasons of one policy for a sign-in (defaults: USER, Azure management, 198.51.100.7). */
  const verdict = (policyId: string, over: { userId?: string; app?: string; conditions?: Record<string, unknown> } = {}) => {
    const r = evaluate({
      signInIdentity: { '@odata.type': '#microsoft.graph.userSignIn', userId: over.userId ?? USER },
      signInContext: { '@odata.type': '#microsoft.graph.applicationContext', includeApplications: [over.app ?? AZURE] },
      signInConditions: { ipAddress: '198.51.100.7', devicePlatform: 'windows', clientAppType: 'browser', ...over.conditions },
    });
    expect(r.status).toBe(200);
    const p = r.body.value.find((v: { id: string }) => v.id === policyId);
    return `${String(p.policyApplies)}:${String(p.analysisReasons)}`;
  };
  return { loc, policy, evaluate, verdict, advance: (ms: number) => (now += ms), store, ctx };
}

const good = {
  signInIdentity: { '@odata.type': '#microsoft.graph.userSignIn', userId: USER },
  signInContext: { '@odata.type': '#microsoft.graph.applicationContext', includeApplications: [AZURE] },
  signInConditions: { ipAddress: '198.51.100.7' },
};

describe('emulator What If: validation', () => {
  const cases: [string, unknown][] = [
    ['not an object', []],
    ['missing signInIdentity', { ...good, signInIdentity: undefined }],
    ['missing signInContext', { ...good, signInContext: undefined }],
    ['missing signInConditions', { ...good, signInConditions: undefined }],
    ['unknown top-level property', { ...good, extra: 1 }],
    ['identity without @odata.type', { ...good, signInIdentity: { userId: USER } }],
    ['service principal (not modelled)', { ...good, signInIdentity: { '@odata.type': '#microsoft.graph.servicePrincipalSignIn', servicePrincipalId: USER } }],
    ['userId not a GUID', { ...good, signInIdentity: { '@odata.type': '#microsoft.graph.userSignIn', userId: 'bob' } }],
    ['auth context (not modelled)', { ...good, signInContext: { '@odata.type': '#microsoft.graph.authContext', authenticationContextValue: 'c1' } }],
    ['empty includeApplications', { ...good, signInContext: { '@odata.type': '#microsoft.graph.applicationContext', includeApplications: [] } }],
    ['ipAddress with a prefix', { ...good, signInConditions: { ipAddress: '198.51.100.0/24' } }],
    ['ipAddress not an address', { ...good, signInConditions: { ipAddress: '300.1.1.1' } }],
    ['clientAppType case', { ...good, signInConditions: { clientAppType: 'Browser' } }],
    ['devicePlatform unknownFutureValue', { ...good, signInConditions: { devicePlatform: 'unknownFutureValue' } }],
    ['linux without the Prefer header', { ...good, signInConditions: { devicePlatform: 'linux' } }],
    ['signInRiskLevel unknown', { ...good, signInConditions: { signInRiskLevel: 'severe' } }],
    ['unknown condition', { ...good, signInConditions: { ipAddres: '198.51.100.7' } }],
    ['country not two letters', { ...good, signInConditions: { country: 'USA' } }],
    ['appliedPoliciesOnly not boolean', { ...good, appliedPoliciesOnly: 'yes' }],
    ['user not in the directory', { ...good, signInIdentity: { '@odata.type': '#microsoft.graph.userSignIn', userId: '99999999-9999-4999-8999-999999999999' } }],
  ];
  it.each(cases)('400 BadRequest: %s', (_label, body) => {
    const r = tenant().evaluate(body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BadRequest');
    expect(r.body.error.message).toMatch(/^EMULATOR: /);
  });

  it('200 with the whatIfAnalysisResult collection: the policy as GET shows it plus policyApplies and analysisReasons; GET is 405', () => {
    const t = tenant();
    const id = t.policy({ locations: { includeLocations: ['All'], excludeLocations: [] } });
    const r = t.evaluate(good);
    expect(r.status).toBe(200);
    expect(r.body['@odata.context']).toMatch(/#Collection\(microsoft\.graph\.whatIfAnalysisResult\)$/);
    expect(r.body.value).toHaveLength(1);
    expect(r.body.value[0]).toMatchObject({ id, displayName: 'Block', state: 'enabled', policyApplies: true, analysisReasons: 'notSet', grantControls: { builtInControls: ['block'] } });
    expect(handleEvaluate('GET', undefined, t.ctx('evaluate'), emptyDirectory()).status).toBe(405);
  });

  it('appliedPoliciesOnly leaves out the policies that do not apply', () => {
    const t = tenant();
    t.policy({});
    t.policy({ users: { includeUsers: ['None'] } });
    expect(t.evaluate(good).body.value).toHaveLength(2);
    expect(t.evaluate({ ...good, appliedPoliciesOnly: true }).body.value.map((v: { policyApplies: boolean }) => v.policyApplies)).toEqual([true]);
  });
});

describe('emulator What If: conditions', () => {
  it('users: All, None, ids, exclusions, groups, guests', () => {
    const t = tenant();
    const all = t.policy({ users: { includeUsers: ['All'], excludeUsers: [EMERGENCY] } });
    const byGroup = t.policy({ users: { includeUsers: ['All'], excludeGroups: [GROUP] } });
    const included = t.policy({ users: { includeGroups: [GROUP] } });
    const none = t.policy({ users: { includeUsers: ['None'] } });
    const guests = t.policy({ users: { includeUsers: ['GuestsOrExternalUsers'] } });
    expect([t.verdict(all), t.verdict(all, { userId: EMERGENCY })]).toEqual(['true:notSet', 'false:users']);
    expect([t.verdict(byGroup), t.verdict(byGroup, { userId: EMERGENCY })]).toEqual(['true:notSet', 'false:users']);
    expect([t.verdict(included), t.verdict(included, { userId: EMERGENCY })]).toEqual(['false:users', 'true:notSet']);
    expect(t.verdict(none)).toBe('false:users');
    expect([t.verdict(guests), t.verdict(guests, { userId: GUEST })]).toEqual(['false:users', 'true:notSet']);
  });

  it('applications: All, Office365, app ids, exclusions', () => {
    const t = tenant();
    const office = t.policy({ applications: { includeApplications: ['Office365'] } });
    const allButAzure = t.policy({ applications: { includeApplications: ['All'], excludeApplications: [AZURE] } });
    expect([t.verdict(office), t.verdict(office, { app: EXCHANGE })]).toEqual(['false:application', 'true:notSet']);
    expect([t.verdict(allButAzure), t.verdict(allButAzure, { app: EXCHANGE })]).toEqual(['false:application', 'true:notSet']);
  });

  it('platforms and client app types; a platform condition without devicePlatform is notEnoughInformation', () => {
    const t = tenant();
    const ios = t.policy({ platforms: { includePlatforms: ['iOS'], excludePlatforms: [] } });
    const allButWindows = t.policy({ platforms: { includePlatforms: ['all'], excludePlatforms: ['windows'] } });
    const legacy = t.policy({ clientAppTypes: ['exchangeActiveSync', 'other'] });
    expect([t.verdict(ios), t.verdict(ios, { conditions: { devicePlatform: 'iOS' } })]).toEqual(['false:devicePlatform', 'true:notSet']);
    expect([t.verdict(allButWindows), t.verdict(allButWindows, { conditions: { devicePlatform: 'android' } })]).toEqual(['false:devicePlatform', 'true:notSet']);
    expect(t.verdict(ios, { conditions: { devicePlatform: undefined } })).toBe('false:notEnoughInformation');
    expect([t.verdict(legacy), t.verdict(legacy, { conditions: { clientAppType: 'easSupported' } })]).toEqual(['false:clientApps', 'true:notSet']);
  });

  it('locations: IP named locations (v4 and v6), exclusions, All, AllTrusted; no ipAddress is notEnoughInformation', () => {
    const t = tenant();
    const blocked = t.loc(['198.51.100.0/24', '2001:db8::/48']);
    const trusted = t.loc(['203.0.113.0/24'], true);
    const inBlocked = t.policy({ locations: { includeLocations: [blocked], excludeLocations: [] } });
    const allButTrusted = t.policy({ locations: { includeLocations: ['All'], excludeLocations: ['AllTrusted'] } });
    const onlyTrusted = t.policy({ locations: { includeLocations: ['AllTrusted'], excludeLocations: [] } });
    expect(t.verdict(inBlocked)).toBe('true:notSet');
    expect(t.verdict(inBlocked, { conditions: { ipAddress: '2001:db8::5' } })).toBe('true:notSet');
    expect(t.verdict(inBlocked, { conditions: { ipAddress: '192.0.2.1' } })).toBe('false:location');
    expect(t.verdict(inBlocked, { conditions: { ipAddress: undefined } })).toBe('false:notEnoughInformation');
    expect([t.verdict(allButTrusted), t.verdict(allButTrusted, { conditions: { ipAddress: '203.0.113.9' } })]).toEqual(['true:notSet', 'false:location']);
    expect([t.verdict(onlyTrusted), t.verdict(onlyTrusted, { conditions: { ipAddress: '203.0.113.9' } })]).toEqual(['false:location', 'true:notSet']);
    expect(trusted).toBeTruthy();
  });

  it('several failing conditions are all listed; a disabled policy is policyNotEnabled; report-only is evaluated', () => {
    const t = tenant();
    const loc = t.loc(['198.51.100.0/24']);
    const both = t.policy({ users: { includeUsers: ['None'] }, locations: { includeLocations: [loc], excludeLocations: [] } });
    const off = t.policy({}, 'disabled');
    const reportOnly = t.policy({ signInRiskLevels: ['high'] }, 'enabledForReportingButNotEnforced');
    expect(t.verdict(both, { conditions: { ipAddress: '192.0.2.1' } })).toBe('false:users,location');
    expect(t.verdict(off)).toBe('false:policyNotEnabled');
    expect([t.verdict(reportOnly), t.verdict(reportOnly, { conditions: { signInRiskLevel: 'high' } })]).toEqual(['false:signInRisk', 'true:notSet']);
  });

  it('judges replicated state: a policy created a moment ago is not evaluated yet', () => {
    const t = tenant(2000);
    t.policy({});
    expect(t.evaluate(good).body.value).toHaveLength(0);
    t.advance(2001);
    expect(t.evaluate(good).body.value).toHaveLength(1);
  });
});
