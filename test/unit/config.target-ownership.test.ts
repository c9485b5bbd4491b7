/**
 * Two targets of one tenant whose policy names, named-location names or shard names can collide are
 * refused at load time, naming both targets and the colliding name (issue 13, finding 2).
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load-config.ts';
import { collidingShardName } from '../../src/config/target-collisions.ts';
import { configProblems } from '../helpers/config-fixtures.ts';

const TENANT = '0b0f6b86-5f4a-4c53-9d1e-1f0c2a3b4c5d';
const OTHER_TENANT = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const CLIENT = '3c5e7a90-1b2d-4e6f-8a0b-2c4d6e8f0a1b';

function target(name: string, location: string, policy: string, tenantId = TENANT): Record<string, unknown> {
  return { name, tenantId, clientId: CLIENT, clientSecret: 'x-secret', namedLocation: { name: location }, policy: { name: policy } };
}

function load(...targets: Record<string, unknown>[]) {
  return loadConfigText(stringify({ targets }), { env: {} });
}

function problems(...targets: Record<string, unknown>[]): string[] {
  return configProblems(() => load(...targets));
}

describe('targets of one tenant must not share Entra objects', () => {
  it('refuses the same policy name, naming both targets and the policy', () => {
    expect(problems(target('a', 'Loc A', 'Block'), target('b', 'Loc B', 'Block'))).toEqual([
      `targets[1].policy.name: targets "a" (targets[0]) and "b" (targets[1]) of tenant ${TENANT} have the same policy name "Block": each run would point the policy at its own locations; give each target its own policy name`,
    ]);
  });

  it('refuses the same named-location name', () => {
    expect(problems(target('a', 'Coll', 'P1'), target('b', 'Coll', 'P2'))).toEqual([
      `targets[1].namedLocation.name: targets "a" (targets[0]) and "b" (targets[1]) of tenant ${TENANT} have the same named location name "Coll": each run would undo the other's; give each target its own name`,
    ]);
  });

  it('refuses a location name equal to another target shard name, in either order', () => {
    const [p] = problems(target('a', 'Coll', 'P1'), target('b', 'Coll (2)', 'P2'));
    expect(p).toMatch(/^targets\[1\]\.namedLocation\.name: targets "a" \(targets\[0\]\) and "b" \(targets\[1\]\)/);
    expect(p).toContain('named location names "Coll" and "Coll (2)" that both produce the shard name "Coll (2)"');
    // any k, not only k <= maxLocations (maxLocations may be raised later)
    expect(problems(target('a', 'Coll (195)', 'P1'), target('b', 'Coll', 'P2'))[0]).toContain('the shard name "Coll (195)"');
    expect(problems(target('a', 'Coll (1000)', 'P1'), target('b', 'Coll', 'P2'))[0]).toContain('"Coll (1000)"');
  });

  it('compares tenants case-insensitively: the same GUID in other case, the same domain in other case', () => {
    expect(problems(target('a', 'X', 'P'), target('b', 'Y', 'P', TENANT.toUpperCase()))[0]).toMatch(/^targets\[1\]\.policy\.name: /);
    expect(problems(target('a', 'X', 'P', 'contoso.onmicrosoft.com'), target('b', 'Y', 'P', 'Contoso.OnMicrosoft.com'))[0]).toMatch(/^targets\[1\]\.policy\.name: /);
  });

  it('reports every colliding pair among three targets', () => {
    const list = problems(target('a', 'L', 'P'), target('b', 'M', 'P'), target('c', 'L (3)', 'P'));
    expect(list).toHaveLength(4);
    expect(list.filter((p) => p.startsWith('targets[2].policy.name'))).toHaveLength(2);
    expect(list.filter((p) => p.startsWith('targets[2].namedLocation.name'))).toHaveLength(1);
  });

  it('accepts distinct names, the same names in different tenants, and names that are not shard names', () => {
    expect(load(target('a', 'Coll', 'P1'), target('b', 'Coll B', 'P2')).targets).toHaveLength(2);
    expect(load(target('a', 'Coll', 'Block'), target('b', 'Coll', 'Block', OTHER_TENANT)).targets).toHaveLength(2);
    // "(1)", "(0)", "(02)" and "(x)" are never shard names; "coll (2)" differs in case (matching is exact)
    expect(load(target('a', 'Coll', 'P1'), target('b', 'Coll (1)', 'P2'), target('c', 'Coll (02)', 'P3'), target('d', 'coll (2)', 'P4')).targets).toHaveLength(4);
    // a location and a policy of the same name never collide
    expect(load(target('a', 'Same', 'Other'), target('b', 'Else', 'Same')).targets).toHaveLength(2);
  });

  it('collidingShardName', () => {
    expect(collidingShardName('A', 'A')).toBe('A');
    expect(collidingShardName('A', 'A (2)')).toBe('A (2)');
    expect(collidingShardName('A (7)', 'A')).toBe('A (7)');
    expect(collidingShardName('A (2)', 'A (3)')).toBeUndefined();
    expect(collidingShardName('A', 'B')).toBeUndefined();
  });
});
