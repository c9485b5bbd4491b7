/**
 * Types of the reconcile plan: what `planReconcile` takes (desired ranges, live Entra state, the
 * owned-ranges record, flags) and what it returns (ordered Graph writes, per-location diff, policy
 * field changes, overflow report, refusals). Everything here is plain data and JSON-serialisable, so
 * `tq-entra plan --json` prints a Plan as is.
 */
import type { TargetConfig } from '../config/schema.ts';
import type { ConditionalAccessPolicy, NamedLocation, PolicyBody } from '../graph/graph-types.ts';
import type { SyncError } from '../errors/sync-error.ts';
import type { KillSwitch } from '../state/kill-switch-store.ts';

/** One range the target should block: canonical CIDR, priority weight, the sources that contributed it. */
export interface DesiredRange {
  cidr: string;
  /** Higher wins when over capacity (see src/pipeline/priority.ts). */
  weight: number;
  /** `source/collection` labels (or a file path) that contributed the range; used by the overflow report. */
  sources: readonly string[];
}

/** A named location as read from Graph, with its ranges in canonical form (see read-live-state.ts). */
export interface LiveLocation extends Omit<NamedLocation, 'ipRanges'> {
  /** Canonical CIDRs (normalizeCidr of Graph's echo; an unparsable echo is kept verbatim). */
  ranges: readonly string[];
}

export interface LiveState {
  /** Every IP named location of the tenant (the plan picks the target's shards by name). */
  locations: readonly LiveLocation[];
  /** Every conditional access policy of the tenant (the plan picks the target's by display name). */
  policies: readonly ConditionalAccessPolicy[];
}

/**
 * Desired ranges left out before the plan (desired-ranges.ts, a fan-in far over capacity): the
 * lowest-weight ones, which could never be placed. The plan adds them to its overflow report.
 */
export interface TrimmedDesired {
  total: number;
  bySource: Record<string, number>;
  /** Up to 20 of them, highest weight first. */
  examples: { cidr: string; weight: number }[];
}

export interface PlanInput {
  target: TargetConfig;
  /** Desired ranges, canonical and de-duplicated, neverBlock already subtracted, in a stable (address) order. */
  desired: readonly DesiredRange[];
  live: LiveState;
  /** The owned-ranges record: canonical CIDRs this service wrote to the target earlier. */
  owned: ReadonlySet<string>;
  /** Desired ranges trimmed before the plan (below the capacity-th highest weight): overflow too. */
  trimmed?: TrimmedDesired;
  /** A manual run (CLI `plan`/`apply`): with `namedLocation.clearOnManualRun` the target holds exactly desired. */
  manual: boolean;
  /** Override the removal-fraction and empty-feed guards (never the tenant guard). */
  force: boolean;
  /** Tenant id (`tid`) of the Graph token. */
  tokenTenantId: string;
  /** Objects of the tenant other targets manage (see object-owners.ts); none when absent. */
  objectOwners?: ObjectOwners;
  /**
   * The target's kill switch (src/state/kill-switch-store.ts), when engaged: the policy's desired
   * state is the switch's, never the configured one (plan-policy.ts).
   */
  killSwitch?: KillSwitch;
  /**
   * The removal-grace record (range → first seen absent, epoch ms) and the clock, for a target with
   * `removalGrace` (see removal-grace.ts). Absent: no grace applies to this plan.
   */
  grace?: {
    firstAbsent: ReadonlyMap<string, number>;
    now: number;
    /** Never-block CIDRs besides safety.neverBlock (e.g. ThreatQ's whitelist): ranges overlapping them get no grace. */
    neverHold?: readonly string[];
  };
}

/**
 * Which of the tenant's objects other targets manage, as classified by object-owners.ts
 * `classifyOwners` from the ownership record (defined here, with the other plan inputs, so the plan's
 * types import nothing from the modules that compute them).
 */
export interface ObjectOwners {
  /** id (lower case) → owner name, per class (see object-owners.ts). */
  active: ReadonlyMap<string, string>;
  unknown: ReadonlyMap<string, string>;
  stale: ReadonlyMap<string, string>;
  /** Ids (lower case) recorded as this target's own. */
  self?: ReadonlySet<string>;
}

/** How the new content of the target is computed. */
export type PlanMode = 'mirror' | 'append' | 'clear';

/**
 * A location the target's policy refers to, in a plan: one Graph already knows (`existing`: a live
 * shard's id, or the keyword `All` of an excludeLocation policy, sent as is), or a shard this plan
 * creates (`shard`: apply puts in the id its POST returned). Typed, so nothing is encoded in a string
 * and parsed back (helpers: location-ref.ts).
 */
export type LocationRef = { kind: 'existing'; id: string } | { kind: 'shard'; shard: number };

/** A managed policy body whose location condition holds `L`: ids for Graph (PolicyBody), LocationRef in a plan. */
export type PolicyBodyOver<L> = Omit<PolicyBody, 'conditions'> & {
  conditions: Omit<PolicyBody['conditions'], 'locations'> & { locations: { includeLocations: L[]; excludeLocations: L[] } };
};

/** The managed policy body as planned: apply resolves its LocationRefs into ids (policy-body.ts resolvePolicyBody). */
export type PlannedPolicyBody = PolicyBodyOver<LocationRef>;

export interface CreateLocationStep {
  kind: 'createLocation';
  shard: number;
  displayName: string;
  ranges: string[];
  isTrusted: boolean;
  /** Owned-ranges record change once this write succeeds. */
  ownedAdd: string[];
  ownedRemove: string[];
}

export interface UpdateLocationStep {
  kind: 'updateLocation';
  shard: number;
  id: string;
  displayName: string;
  /** The full new content (PATCH replaces ipRanges wholesale). */
  ranges: string[];
  isTrusted: boolean;
  added: string[];
  removed: string[];
  ownedAdd: string[];
  ownedRemove: string[];
}

export interface DeleteLocationStep {
  kind: 'deleteLocation';
  shard: number;
  id: string;
  displayName: string;
  /** The live isTrusted (a trusted location is made untrusted first: Graph refuses to delete it). */
  isTrusted: boolean;
  removed: string[];
  ownedRemove: string[];
  /** A duplicate of a shard (same name, lost to it under the one-name rule, ours, referenced by no policy), not the shard itself. */
  duplicate?: boolean;
}

export interface CreatePolicyStep {
  kind: 'createPolicy';
  displayName: string;
  /** Locations are LocationRefs: live ids, or shards this plan creates. */
  body: PlannedPolicyBody;
}

/** A PATCH of the target's policy with its full managed body. */
interface PolicyRewrite {
  id: string;
  displayName: string;
  body: PlannedPolicyBody;
  changes: PolicyFieldChange[];
}

export interface UpdatePolicyStep extends PolicyRewrite {
  kind: 'updatePolicy';
}

/** An update whose only change is dropping shards that are about to be deleted. */
export interface RemoveLocationFromPolicyStep extends PolicyRewrite {
  kind: 'removeLocationFromPolicy';
}

export interface DeletePolicyStep {
  kind: 'deletePolicy';
  id: string;
  displayName: string;
  reason: 'deleteExisting' | 'noRanges';
}

export type PlanStep =
  | CreateLocationStep
  | UpdateLocationStep
  | DeleteLocationStep
  | CreatePolicyStep
  | UpdatePolicyStep
  | RemoveLocationFromPolicyStep
  | DeletePolicyStep;

/** The step of one kind. */
export type PlanStepOf<K extends PlanStep['kind']> = Extract<PlanStep, { kind: K }>;

export interface PolicyFieldChange {
  /** Dotted path of the field, e.g. `conditions.clientAppTypes`. */
  field: string;
  /** The live value (location lists: ids). */
  from: unknown;
  /** The planned value (location lists: LocationRefs). */
  to: unknown;
}

export interface LocationDiff {
  shard: number;
  displayName: string;
  /** Live id; undefined for a location this plan creates. */
  id: string | undefined;
  action: 'create' | 'update' | 'delete' | 'unchanged';
  added: string[];
  removed: string[];
  /** Ranges in the location after the plan. */
  size: number;
}

export interface OverflowReport {
  /** Capacity of the target: maxLocations × maxRangesPerLocation. */
  capacity: number;
  /** Desired ranges left out. */
  total: number;
  /** Ranges left out per contributing source (a range with two sources counts for both). */
  bySource: Record<string, number>;
  /** Weight of the lowest-priority desired range kept (undefined when nothing was left out). */
  cutoffWeight: number | undefined;
  /** Up to 20 of the ranges left out, highest priority first. */
  examples: string[];
}

export interface PlanSummary {
  mode: PlanMode;
  desired: number;
  /** Ranges in the target's locations before and after. */
  liveRanges: number;
  finalRanges: number;
  /** Ranges this service owns (before) and how many of them the plan removes from the target. */
  owned: number;
  ownedRemoved: number;
  /** Ranges kept because they are not ours to remove (hand-added, or append mode). */
  kept: number;
  added: number;
  removed: number;
  /** Graph write requests the plan makes (location and policy POST/PATCH/DELETE). */
  writes: number;
  /** Ranges held in removal grace: left the desired set, still blocked (see removal-grace.ts). */
  inGrace: number;
}

/** A range held in removal grace, with when it was first seen absent and when its grace runs out (ISO 8601). */
export interface GraceRange {
  cidr: string;
  absentSince: string;
  expiresAt: string;
}

/** The removal grace of one plan (removal-grace.ts). */
export interface PlanGrace {
  /** The grace applied (ms); 0 when none does (no removalGrace, mode append, or a clear run). */
  graceMs: number;
  /** Ranges held: kept in the target although they left the desired set; soonest expiry first. */
  held: GraceRange[];
  /** Ranges whose grace ran out: this plan removes them. */
  expired: string[];
  /** Ranges that left overlapping a never-block CIDR (safety.neverBlock, the whitelist): removed now, no grace. */
  neverBlocked: string[];
  /**
   * Changes to the grace record (src/state/grace-store.ts): `start` (ranges first seen absent, epoch ms)
   * is written under the lock before apply; `forget` is deleted once apply succeeded.
   */
  start: { cidr: string; since: number }[];
  forget: string[];
}

/**
 * What this run does to enforcement: `enables` (creates the policy `enabled`, or moves it there from
 * report-only or disabled), `enforced` (it is enabled and stays so), `none` (not enabled after the run).
 */
export type PolicyEnforcement = 'enables' | 'enforced' | 'none';

/** The simulated sign-in of the What If checks: the one the policy targets (what-if-checks.ts). */
export interface WhatIfSignInShape {
  applicationId: string;
  clientAppType: string;
  devicePlatform: string;
  signInRiskLevel?: string;
}

/** One What If evaluation the guard makes (what-if-checks.ts). */
export interface WhatIfCheck {
  check: 'emergency' | 'neverBlock' | 'canary';
  userId: string;
  ipAddress: string;
  /** Must the policy apply? */
  expectApplies: boolean;
}

export interface Plan {
  target: string;
  summary: PlanSummary;
  steps: PlanStep[];
  locations: LocationDiff[];
  policy: {
    /** Live id of the policy this plan manages (the winner among those with the name, same-name-winner.ts), if any. */
    id: string | undefined;
    action: 'create' | 'update' | 'recreate' | 'delete' | 'unchanged';
    changes: PolicyFieldChange[];
    /** The kill switch holding the policy's state (who, when, why), when engaged. */
    killSwitch?: KillSwitch;
    /** What the run does to enforcement (report-only → enabled is also named in `warnings`). */
    enforcement: PolicyEnforcement;
  };
  /**
   * The What If checks (safety.emergencyAccounts / canaryUsers): evaluated after apply, before an
   * enable (what-if-guard.ts). Undefined when none are configured or the policy is not enforced.
   */
  whatIf: { signIn: WhatIfSignInShape; checks: WhatIfCheck[] } | undefined;
  overflow: OverflowReport;
  /** Record changes to make once every step succeeded (stale owned entries no longer in the target). */
  ownedCleanup: string[];
  /** With `clear` mode the owned record becomes exactly the final content once every step succeeded. */
  ownedReplace: string[] | undefined;
  /**
   * Desired ranges broader than the target's "very broad" thresholds (safety.warnBroaderThanV4/V6):
   * accepted, but each is named in a warning (the first 20 in `warnings`, all of them here).
   */
  broadRanges: string[];
  /**
   * Locations named like a shard that lost to it under the one-name rule (src/graph/same-name-winner.ts;
   * e.g. an ambiguous create that happened twice, or an administrator's look-alike):
   * `delete` when ours (recorded as this target's, or holding only ranges this service wrote) and
   * referenced by no policy; `left` otherwise. Each is also named in `warnings`.
   */
  duplicates: { id: string; displayName: string; action: 'delete' | 'left' }[];
  /**
   * Ownership record changes apply makes before its first write (under the lock): `claim` every live
   * object this target manages (its shards and its policy, touched or not), replacing the recorded
   * owner only for the ids in `takeover` (stale owners, or unknown ones with --force).
   */
  ownership: { claim: string[]; takeover: string[] };
  /** Ranges in removal grace and the grace record's changes. */
  grace: PlanGrace;
  warnings: string[];
  /** Safety refusals: when non-empty, apply writes nothing and throws the first. */
  refusals: SyncError[];
}
