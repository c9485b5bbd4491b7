/**
 * Ownership between targets, checked when the configuration is loaded: two targets of one tenant must
 * never be able to match the same Entra object, or their runs undo each other (the same policy name
 * flips the policy between two sets of shards; the same location name, or a location name equal to
 * another target's shard name such as "Coll (2)", makes two targets rewrite one location forever).
 *
 * - One tenant: the same tenantId compared case-insensitively (the same GUID, or the same domain name).
 *   A GUID and a domain name of one tenant cannot be matched here; the run-time ownership record
 *   (src/state/owned-ranges-store.ts, keyed by the token's tenant id) refuses that case.
 * - Names are compared as reconcile matches them: exactly (Entra display names are case-preserving;
 *   see src/config/location-names.ts). Locations collide when one target's shard names `<name>`,
 *   `<name> (k)` (k >= 2, any k: maxLocations may grow) can equal the other's; policies when the names
 *   are equal. A location and a policy never collide (different object types).
 */
import { shardIndexOf } from './location-names.ts';

export interface CollisionTarget {
  readonly name: string;
  readonly tenantId: string;
  readonly namedLocation: { readonly name: string };
  readonly policy: { readonly name: string };
}

export interface CollisionProblem {
  path: (string | number)[];
  message: string;
}

/** The shard name both location base names can produce, or undefined when they never collide. */
export function collidingShardName(a: string, b: string): string | undefined {
  if (a === b) return a;
  // `${a} (k)` === `${b} (j)` implies a === b (the last " (digits)" group is the same), so a collision
  // between two different bases is always one base being a shard name of the other.
  if (shardIndexOf(b, a) !== undefined) return a;
  if (shardIndexOf(a, b) !== undefined) return b;
  return undefined;
}

export function ownershipCollisions(targets: readonly CollisionTarget[]): CollisionProblem[] {
  const out: CollisionProblem[] = [];
  for (let j = 1; j < targets.length; j += 1) {
    const b = targets[j] as CollisionTarget;
    for (let i = 0; i < j; i += 1) {
      const a = targets[i] as CollisionTarget;
      if (a.tenantId.trim().toLowerCase() !== b.tenantId.trim().toLowerCase()) continue;
      const tenant = `tenant ${a.tenantId.trim()}`;
      const loc = collidingShardName(a.namedLocation.name, b.namedLocation.name);
      if (loc !== undefined) {
        const how =
          a.namedLocation.name === b.namedLocation.name
            ? `the same named location name "${loc}"`
            : `named location names "${a.namedLocation.name}" and "${b.namedLocation.name}" that both produce the shard name "${loc}"`;
        out.push({
          path: ['targets', j, 'namedLocation', 'name'],
          message: `targets "${a.name}" (targets[${i}]) and "${b.name}" (targets[${j}]) of ${tenant} have ${how}: each run would undo the other's; give each target its own name`,
        });
      }
      if (a.policy.name === b.policy.name) {
        out.push({
          path: ['targets', j, 'policy', 'name'],
          message: `targets "${a.name}" (targets[${i}]) and "${b.name}" (targets[${j}]) of ${tenant} have the same policy name "${a.policy.name}": each run would point the policy at its own locations; give each target its own policy name`,
        });
      }
    }
  }
  return out;
}
