/**
 * Every parameter of the ThreatQ action guide that reconcile owns observably changes what is written
 * to Graph (emulator over HTTPS, real Redis): a fresh tenant is reconciled with the default
 * configuration and with one parameter changed, and the written objects differ exactly as expected.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { harness, hostRanges, LOCATION, locationsIn, POLICY, policiesIn, rangesOf, writes, type EmuLocation, type EmuPolicy } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let r: TestRedis;
const APP_A = '0ed33d48-cb51-4711-953d-4468c52da87d';
const APP_B = '81fc9bc8-1140-43e1-a525-336e4e654561';

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  r = testRedis('reconcile-params');
  return async () => {
    await r.cleanup();
  };
});

async function runWith(over: Record<string, unknown>): Promise<{ policy: EmuPolicy; locations: EmuLocation[]; policyPost: Record<string, unknown> }> {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  const h = harness(emu, r.client, `${r.prefix}:${Math.random().toString(36).slice(2, 8)}`, over);
  await h.reconcile({ desired: hostRanges(3) });
  const post = writes(emu).find((w) => w.method === 'POST' && w.path.includes('/policies'));
  return { policy: policiesIn(emu)[0] as EmuPolicy, locations: locationsIn(emu), policyPost: post?.body as Record<string, unknown> };
}

describe('reconcile: guide parameters', () => {
  it('defaults: report-only, all apps, all client apps, no platforms, includeUsers None, block grant', async () => {
    const { policy, locations, policyPost } = await runWith({});
    expect(locations.map((l) => [l.displayName, l.isTrusted])).toEqual([[LOCATION, false]]);
    expect(policy.displayName).toBe(POLICY);
    expect(policy.state).toBe('enabledForReportingButNotEnforced');
    expect(policy.conditions.applications).toMatchObject({ includeApplications: ['All'], excludeApplications: [] });
    expect(policy.conditions.clientAppTypes).toEqual(['all']);
    expect(policy.conditions.signInRiskLevels).toEqual([]);
    expect(policy.conditions.platforms).toBeNull();
    expect((policyPost['conditions'] as Record<string, unknown>)['platforms']).toBeUndefined();
    expect(policy.conditions.users?.['includeUsers']).toEqual(['None']);
    expect(policy.conditions.locations).toEqual({ includeLocations: [locations[0]?.id], excludeLocations: [] });
    expect(policy.grantControls).toMatchObject({ operator: 'OR', builtInControls: ['block'] });
  });

  const cases: [string, Record<string, unknown>, (o: Awaited<ReturnType<typeof runWith>>) => void][] = [
    ['Conditional Access Policy Name', { policy: { name: 'Other name' } }, ({ policy }) => expect(policy.displayName).toBe('Other name')],
    ['Conditional Access Policy State', { policy: { state: 'enabled' } }, ({ policy }) => expect(policy.state).toBe('enabled')],
    ['Sign-in Risk Level', { policy: { signInRiskLevels: ['low', 'high'] } }, ({ policy }) => expect(policy.conditions.signInRiskLevels).toEqual(['low', 'high'])],
    [
      'Applications Included (suite) and Client IDs Included',
      { policy: { applications: { include: ['Office365'], includeAppIds: [APP_A] } } },
      ({ policy }) => expect(policy.conditions.applications.includeApplications).toEqual(['Office365', APP_A]),
    ],
    [
      'Applications Excluded (suite) and Client IDs Excluded',
      { policy: { applications: { exclude: ['MicrosoftAdminPortals'], excludeAppIds: [APP_B] } } },
      ({ policy }) => expect(policy.conditions.applications.excludeApplications).toEqual(['MicrosoftAdminPortals', APP_B]),
    ],
    ['Client Application Types', { policy: { clientAppTypes: ['browser', 'other'] } }, ({ policy }) => expect(policy.conditions.clientAppTypes).toEqual(['browser', 'other'])],
    ['Client Application Types: All wins', { policy: { clientAppTypes: ['browser', 'all'] } }, ({ policy }) => expect(policy.conditions.clientAppTypes).toEqual(['all'])],
    [
      'Platforms included and excluded',
      { policy: { platforms: { include: ['all'], exclude: ['iOS'] } } },
      ({ policy }) => expect(policy.conditions.platforms).toEqual({ includePlatforms: ['all'], excludePlatforms: ['iOS'] }),
    ],
    [
      'Platforms excluded only (include becomes all)',
      { policy: { platforms: { exclude: ['android'] } } },
      ({ policy }) => expect(policy.conditions.platforms).toEqual({ includePlatforms: ['all'], excludePlatforms: ['android'] }),
    ],
    ['Network Location Name', { namedLocation: { name: 'Bad IPs' } }, ({ locations }) => expect(locations.map((l) => l.displayName)).toEqual(['Bad IPs'])],
    ['Network Location Is Trusted', { namedLocation: { isTrusted: true } }, ({ locations }) => expect(locations[0]?.isTrusted).toBe(true)],
    [
      'Exclude Network Location',
      { policy: { excludeLocation: true } },
      ({ policy, locations }) => expect(policy.conditions.locations).toEqual({ includeLocations: ['All'], excludeLocations: [locations[0]?.id] }),
    ],
    [
      'users (assignment managed by the configuration)',
      { policy: { users: { include: ['All'], exclude: ['11111111-0000-0000-0000-000000000001'], excludeRoles: ['62e90394-69f5-4237-9190-012177145e10'] } } },
      ({ policy }) =>
        expect(policy.conditions.users).toMatchObject({
          includeUsers: ['All'],
          excludeUsers: ['11111111-0000-0000-0000-000000000001'],
          excludeRoles: ['62e90394-69f5-4237-9190-012177145e10'],
        }),
    ],
  ];
  it.each(cases)('%s changes what is written', async (_name, over, check) => {
    check(await runWith(over));
  });

  it('Delete Existing Policy: a changed policy is re-created instead of patched: the new one first, then the old one is deleted (never a moment without one)', async () => {
    const h = harness(emu, r.client, r.prefix);
    await h.reconcile({ desired: hostRanges(3) });
    const before = policiesIn(emu)[0] as EmuPolicy;

    const patched = harness(emu, r.client, r.prefix, { policy: { state: 'disabled' } });
    emu.clearRequests();
    await patched.reconcile({ desired: hostRanges(3) });
    expect(writes(emu).map((w) => w.method)).toEqual(['PATCH']);
    expect(policiesIn(emu).map((p) => [p.id, p.state])).toEqual([[before.id, 'disabled']]);

    const recreate = harness(emu, r.client, r.prefix, { policy: { state: 'enabled', deleteExisting: true } });
    emu.clearRequests();
    await recreate.reconcile({ desired: hostRanges(3) });
    expect(writes(emu).map((w) => `${w.method} ${/(policies|namedLocations)/.exec(w.path)?.[1]}`)).toEqual(['POST policies', 'DELETE policies']);
    const after = policiesIn(emu);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).not.toBe(before.id);
    expect(after[0]?.state).toBe('enabled');

    // Unchanged: nothing is deleted.
    emu.clearRequests();
    await recreate.reconcile({ desired: hostRanges(3) });
    expect(writes(emu)).toEqual([]);
  });

  it('platforms removed from the configuration are cleared from the live policy (explicit null)', async () => {
    await harness(emu, r.client, r.prefix, { policy: { platforms: { include: ['android'] } } }).reconcile({ desired: hostRanges(3) });
    expect(policiesIn(emu)[0]?.conditions.platforms).not.toBeNull();
    emu.clearRequests();
    await harness(emu, r.client, r.prefix).reconcile({ desired: hostRanges(3) });
    const patch = writes(emu)[0];
    expect((patch?.body as { conditions: Record<string, unknown> }).conditions['platforms']).toBeNull();
    expect(policiesIn(emu)[0]?.conditions.platforms).toBeNull();
  });

  it('Clear Network Location on Manual Run: a manual run removes hand-added ranges, a scheduled one keeps them', async () => {
    const over = { namedLocation: { clearOnManualRun: true } };
    const h = harness(emu, r.client, r.prefix, over);
    await h.reconcile({ desired: hostRanges(3) });
    const [loc] = locationsIn(emu);
    // An administrator adds a range by hand.
    await h.graph.updateNamedLocation(loc!.id, { displayName: LOCATION, ipRanges: [...rangesOf(loc), '203.0.113.7/32'], isTrusted: false });

    await h.reconcile({ desired: hostRanges(3), manual: false });
    expect(rangesOf(locationsIn(emu)[0])).toContain('203.0.113.7/32');
    await h.reconcile({ desired: hostRanges(3), manual: true });
    expect(rangesOf(locationsIn(emu)[0]).sort()).toEqual(hostRanges(3).map((d) => d.cidr).sort());
  });
});
