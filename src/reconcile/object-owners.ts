/**
 * Which of the tenant's objects other targets manage, from the ownership record
 * (src/state/owned-ranges-store.ts: per tenant, object id → target) and the configuration.
 *
 * A record entry naming another target is:
 * - active: that target is in this configuration, in this tenant, and its configured names still match
 *   the object (a location whose name is one of its shard names, a policy of its policy name). Refused,
 *   never forced: two targets of one tenant can reach the same object only when the configuration
 *   check cannot see it (a tenant given as a GUID for one target and as a domain name for the other).
 * - unknown: that target is not in this configuration (removed, renamed, or another deployment's on the
 *   same Redis prefix). Refused unless --force, which takes the object over.
 * - stale: that target is in this configuration but no longer matches the object (its names or tenant
 *   changed): taken over with a warning.
 * Entries for objects no longer in Entra are ignored.
 */
import type { Config, TargetConfig } from '../config/schema.ts';
import { isGuid } from '../config/schema.ts';
import type { LiveState, ObjectOwners } from './plan-types.ts';
import { shardIndexOf } from '../config/location-names.ts';

export const NO_OWNERS: ObjectOwners = Object.freeze({ active: new Map(), unknown: new Map(), stale: new Map() });

export function classifyOwners(
  config: Config,
  target: TargetConfig,
  tokenTenantId: string,
  live: LiveState,
  record: ReadonlyMap<string, string>,
): ObjectOwners {
  const active = new Map<string, string>();
  const unknown = new Map<string, string>();
  const stale = new Map<string, string>();
  const self = new Set<string>();
  const locations = new Map(live.locations.map((l) => [l.id.toLowerCase(), l.displayName]));
  const policies = new Map(live.policies.map((p) => [p.id.toLowerCase(), p.displayName]));
  for (const [rawId, owner] of record) {
    if (owner === target.name) {
      self.add(rawId.toLowerCase());
      continue;
    }
    const id = rawId.toLowerCase();
    const locName = locations.get(id);
    const polName = policies.get(id);
    if (locName === undefined && polName === undefined) continue;
    const o = config.targets.find((t) => t.name === owner);
    if (!o) {
      unknown.set(id, owner);
      continue;
    }
    const sameTenant = !isGuid(o.tenantId) || o.tenantId.toLowerCase() === tokenTenantId.toLowerCase();
    const matches = locName !== undefined ? shardIndexOf(o.namedLocation.name, locName) !== undefined : polName === o.policy.name;
    (sameTenant && matches ? active : stale).set(id, owner);
  }
  return { active, unknown, stale, self };
}
