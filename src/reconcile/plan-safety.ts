/**
 * The plan's safety checks and warnings (see plan.ts for the refusal codes): the refusals (wrong
 * tenant, empty feed, too large a removal), ownership between targets (objects another target's
 * record holds: refused, or taken over with a warning; object-owners.ts) and the very broad desired
 * ranges (accepted, each named in a warning). Pure: each appends to the plan's refusals and warnings.
 */
import { isGuid } from '../config/schema.ts';
import type { SyncError } from '../errors/sync-error.ts';
import { SafetyEmptyError } from './errors/safety-empty-error.ts';
import { SafetyOwnedByOtherTargetError } from './errors/safety-owned-error.ts';
import { SafetyRemovalError } from './errors/safety-removal-error.ts';
import { SafetyTenantError } from './errors/safety-tenant-error.ts';
import { NO_OWNERS } from './object-owners.ts';
import type { LocationPlan } from './plan-locations.ts';
import type { Plan, PlanInput } from './plan-types.ts';

/** The safety refusals (apply throws the first); the tenant check warns when tenantId is a domain name. */
export function refusals(input: PlanInput, loc: LocationPlan, warnings: string[]): SyncError[] {
  const { target } = input;
  const out: SyncError[] = [];
  if (isGuid(target.tenantId)) {
    if (target.tenantId.toLowerCase() !== input.tokenTenantId.toLowerCase()) {
      out.push(new SafetyTenantError(target.name, target.tenantId, input.tokenTenantId));
    }
  } else {
    warnings.push(`tenantId "${target.tenantId}" is not a GUID: the token's tenant (${input.tokenTenantId}) could not be checked`);
  }
  if (!input.force && input.desired.length === 0 && target.safety.refuseEmpty) out.push(new SafetyEmptyError(target.name));
  const fraction = loc.ownedLive === 0 ? 0 : loc.ownedRemoved / loc.ownedLive;
  if (!input.force && fraction > target.safety.maxRemovalFraction) {
    out.push(new SafetyRemovalError(target.name, loc.ownedRemoved, loc.ownedLive, target.safety.maxRemovalFraction));
  }
  return out;
}

/**
 * Ownership between targets: every live object this target manages (its shards, its policy) that the
 * record gives to another target is refused (active owner: never; unknown owner: unless force, which
 * takes it over) or taken over with a warning (stale owner). See object-owners.ts.
 */
export function ownershipOf(
  input: PlanInput,
  managed: readonly { kind: 'named location' | 'policy'; id: string; displayName: string }[],
  refused: SyncError[],
  warnings: string[],
): Plan['ownership'] {
  const owners = input.objectOwners ?? NO_OWNERS;
  const takeover: string[] = [];
  for (const obj of managed) {
    const id = obj.id.toLowerCase();
    const active = owners.active.get(id);
    const unknown = owners.unknown.get(id);
    const stale = owners.stale.get(id);
    if (active !== undefined) {
      refused.push(new SafetyOwnedByOtherTargetError(input.target.name, obj, active, true));
    } else if (unknown !== undefined && !input.force) {
      refused.push(new SafetyOwnedByOtherTargetError(input.target.name, obj, unknown, false));
    } else if (unknown !== undefined || stale !== undefined) {
      const why = unknown !== undefined ? 'which is not in this configuration (--force)' : 'which no longer manages it';
      warnings.push(`${obj.kind} "${obj.displayName}" (${obj.id}) was recorded as target "${unknown ?? stale}"'s, ${why}: taken over`);
      takeover.push(obj.id);
    }
  }
  return { claim: managed.map((m) => m.id), takeover };
}

/** Warnings naming at most this many very broad ranges; the plan's broadRanges lists them all. */
const BROAD_WARNINGS = 20;

/**
 * Desired ranges broader than safety.warnBroaderThanV4/V6 (accepted, but no real feed we know of needs
 * them: the broadest entries of Spamhaus DROP and DROPv6 are /12 and /29), one warning each.
 */
export function broadRanges(input: PlanInput, warnings: string[]): string[] {
  const { warnBroaderThanV4: v4, warnBroaderThanV6: v6 } = input.target.safety;
  const out: string[] = [];
  for (const d of input.desired) {
    const slash = d.cidr.lastIndexOf('/');
    if (slash < 0) continue;
    const prefix = Number(d.cidr.slice(slash + 1));
    if (prefix < (d.cidr.includes(':') ? v6 : v4)) out.push(d.cidr);
  }
  for (const cidr of out.slice(0, BROAD_WARNINGS)) {
    const family = cidr.includes(':') ? 'IPv6' : 'IPv4';
    const limit = family === 'IPv6' ? v6 : v4;
    warnings.push(`very broad range ${cidr} is blocked (broader than /${limit}, safety.warnBroaderThan${family === 'IPv6' ? 'V6' : 'V4'}): check the indicator is meant`);
  }
  if (out.length > BROAD_WARNINGS) warnings.push(`… and ${out.length - BROAD_WARNINGS} more very broad range(s) (plan --json lists them all)`);
  return out;
}
