import { describe, expect, it } from 'vitest';
import { buildPolicyBody, diffPolicy, onlyRemovesLocations } from '../../src/reconcile/policy-body.ts';
import { livePolicy, makeTarget } from '../fixtures/reconcile/plan-fixtures.ts';

describe('buildPolicyBody', () => {
  it('builds the managed body from the guide parameters', () => {
    const t = makeTarget({
      policy: {
        state: 'enabled',
        signInRiskLevels: ['low'],
        applications: { include: ['Office365'], includeAppIds: ['0ed33d48-cb51-4711-953d-4468c52da87d'], exclude: ['MicrosoftAdminPortals'], excludeAppIds: ['81fc9bc8-1140-43e1-a525-336e4e654561'] },
        clientAppTypes: ['browser', 'all', 'other'],
        platforms: { include: ['all'], exclude: ['iOS'] },
      },
    });
    const body = buildPolicyBody(t.policy, ['id-1', 'id-2'], undefined);
    expect(body).toEqual({
      displayName: 'TQ Policy',
      state: 'enabled',
      conditions: {
        clientAppTypes: ['all'],
        signInRiskLevels: ['low'],
        applications: {
          includeApplications: ['Office365', '0ed33d48-cb51-4711-953d-4468c52da87d'],
          excludeApplications: ['MicrosoftAdminPortals', '81fc9bc8-1140-43e1-a525-336e4e654561'],
        },
        locations: { includeLocations: ['id-1', 'id-2'], excludeLocations: [] },
        platforms: { includePlatforms: ['all'], excludePlatforms: ['iOS'] },
        users: { includeUsers: ['None'] },
      },
      grantControls: { operator: 'OR', builtInControls: ['block'] },
    });
  });

  it('excludeLocation includes All and excludes the shards; no platforms means no platforms object', () => {
    const body = buildPolicyBody(makeTarget({ policy: { excludeLocation: true } }).policy, ['a', 'b'], undefined);
    expect(body.conditions.locations).toEqual({ includeLocations: ['All'], excludeLocations: ['a', 'b'] });
    expect('platforms' in body.conditions).toBe(false);
  });

  it('users: untouched on update when not configured; managed (None when nobody is included) when configured', () => {
    const create = buildPolicyBody(makeTarget().policy, ['a'], undefined);
    const live = livePolicy(create);
    expect(buildPolicyBody(makeTarget().policy, ['a'], live).conditions.users).toBeUndefined();
    const managed = buildPolicyBody(makeTarget({ policy: { users: { exclude: ['9f1e2d3c-4b5a-4697-8879-6a5b4c3d2e1f'] } } }).policy, ['a'], live);
    expect(managed.conditions.users).toEqual({ includeUsers: ['None'], excludeUsers: ['9f1e2d3c-4b5a-4697-8879-6a5b4c3d2e1f'], includeGroups: [], excludeGroups: [], excludeRoles: [] });
  });

  it('clears live platforms with an explicit null on update', () => {
    const withPlatforms = buildPolicyBody(makeTarget({ policy: { platforms: { include: ['android'] } } }).policy, ['a'], undefined);
    const live = livePolicy(withPlatforms);
    const body = buildPolicyBody(makeTarget().policy, ['a'], live);
    expect(body.conditions.platforms).toBeNull();
    expect(diffPolicy(body, live).map((c) => c.field)).toEqual(['conditions.platforms']);
  });
});

describe('diffPolicy', () => {
  it('ignores order and keyword case, reports each differing field', () => {
    const body = buildPolicyBody(makeTarget().policy, ['A-1', 'b-2'], undefined);
    const live = livePolicy(body);
    live.conditions.locations = { includeLocations: ['B-2', 'a-1'], excludeLocations: [] };
    live.conditions.applications.includeApplications = ['all'];
    live.conditions.users!.includeUsers = ['none'];
    live.grantControls = { operator: 'or', builtInControls: ['BLOCK'] };
    expect(diffPolicy(body, live)).toEqual([]);
    live.state = 'enabled';
    live.conditions.signInRiskLevels = ['high'];
    expect(diffPolicy(body, live).map((c) => c.field)).toEqual(['state', 'conditions.signInRiskLevels']);
  });

  it('onlyRemovesLocations is true only when shards are dropped and nothing else changes', () => {
    const live = livePolicy(buildPolicyBody(makeTarget().policy, ['a', 'b'], undefined));
    expect(onlyRemovesLocations(diffPolicy(buildPolicyBody(makeTarget().policy, ['a'], live), live))).toBe(true);
    expect(onlyRemovesLocations(diffPolicy(buildPolicyBody(makeTarget().policy, ['a', 'c'], live), live))).toBe(false);
    expect(onlyRemovesLocations(diffPolicy(buildPolicyBody(makeTarget({ policy: { state: 'enabled' } }).policy, ['a'], live), live))).toBe(false);
  });
});
