/**
 * Domain types of the Graph side, shared by the Graph client (src/graph/) and reconcile
 * (src/reconcile/). Wire shapes (`*Json`) live next to the resource modules; these are what the rest
 * of the service sees.
 *
 * Terminology: a *named location* is an Entra ipNamedLocation; a *shard* is one of the locations a
 * target owns (`<name>`, `<name> (2)`, …); the *policy* is the blocking conditional access policy.
 */
import type { CLIENT_APP_TYPES, POLICY_STATES } from '../config/schema.ts';
import type { WaitOptions } from './consistency.ts';

export type PolicyState = (typeof POLICY_STATES)[number];
export type ClientAppType = (typeof CLIENT_APP_TYPES)[number];

export interface NamedLocation {
  id: string;
  displayName: string;
  /** CIDRs exactly as Graph returned them (Graph echoes what it was sent; normalise before comparing). */
  ipRanges: string[];
  isTrusted: boolean;
  createdDateTime: string;
  modifiedDateTime: string | null;
}

/** What we write to a named location (POST, or PATCH with the full ipRanges). */
export interface NamedLocationSpec {
  displayName: string;
  /** Canonical CIDRs; the client types each as iPv4CidrRange or iPv6CidrRange. */
  ipRanges: readonly string[];
  isTrusted: boolean;
}

export interface PolicyUsers {
  includeUsers: string[];
  excludeUsers: string[];
  includeGroups: string[];
  excludeGroups: string[];
  includeRoles: string[];
  excludeRoles: string[];
}

/**
 * The part of a conditional access policy this service manages. Fields left undefined are not sent
 * (e.g. `users` on update when the configuration does not manage users; `platforms` when none).
 */
export interface PolicyBody {
  displayName: string;
  state: PolicyState;
  conditions: {
    clientAppTypes: string[];
    signInRiskLevels: string[];
    applications: { includeApplications: string[]; excludeApplications: string[] };
    users?: Partial<PolicyUsers>;
    platforms?: { includePlatforms: string[]; excludePlatforms: string[] } | null;
    locations: { includeLocations: string[]; excludeLocations: string[] };
  };
  grantControls: { operator: 'AND' | 'OR'; builtInControls: string[] };
}

/** A policy as read from Graph (full echo, normalised to the fields we care about). */
export interface ConditionalAccessPolicy {
  id: string;
  displayName: string;
  state: PolicyState;
  createdDateTime: string;
  modifiedDateTime: string | null;
  conditions: {
    clientAppTypes: string[];
    signInRiskLevels: string[];
    applications: { includeApplications: string[]; excludeApplications: string[] };
    users: PolicyUsers | null;
    platforms: { includePlatforms: string[]; excludePlatforms: string[] } | null;
    locations: { includeLocations: string[]; excludeLocations: string[] } | null;
  };
  grantControls: { operator: string; builtInControls: string[] } | null;
}

/** One simulated sign-in: who, from where, to what. */
/** (Conditional Access What If, what-if.ts) */
export interface WhatIfSignIn {
  userId: string;
  ipAddress: string;
  /** Application (client) id the user signs in to. */
  applicationId: string;
  clientAppType?: string;
  devicePlatform?: string;
  signInRiskLevel?: string;
  country?: string;
}

/** One policy's answer for one sign-in. */
export interface WhatIfPolicyResult {
  id: string;
  displayName: string;
  state: PolicyState;
  policyApplies: boolean;
  /** The flags of `analysisReasons`: `['notSet']` when the policy applies, else why not (`users`, `location`, …). */
  analysisReasons: string[];
}

/** Counts of Graph requests a client made, for summaries and metrics. */
export interface GraphRequestStats {
  reads: number;
  writes: number;
  /** `GET 200`, `PATCH 204`, `POST 429`, … */
  byMethodStatus: Record<string, number>;
  throttled: number;
  throttledMs: number;
  /** Consistency waits before destructive steps (src/graph/consistency.ts) and their total wall time. */
  consistencyWaits?: number;
  consistencyWaitMs?: number;
}

/**
 * The Graph client reconcile talks to (implemented in src/graph/graph-client.ts). Every request is
 * paced by the tenant-wide Redis limiter and retried per the retry policy; failures are typed errors
 * (GraphHttpError, GraphThrottledError, GraphValidationError, …) carrying Graph's code and message.
 */
export interface GraphClient {
  /** The tenant id (`tid`) of the token the credential obtained, for the wrong-tenant guard. */
  tokenTenantId(): Promise<string>;
  listNamedLocations(): Promise<NamedLocation[]>;
  /** The IP named locations with this exact display name, read without listing every location's ranges. */
  findNamedLocationsByName(displayName: string): Promise<NamedLocation[]>;
  /** null when Graph answers 404. */
  getNamedLocation(id: string): Promise<NamedLocation | null>;
  /** `ignoreIds`: same-named locations that existed before (never taken as the created one on recovery). */
  createNamedLocation(spec: NamedLocationSpec, options?: { ignoreIds?: readonly string[] }): Promise<NamedLocation>;
  updateNamedLocation(id: string, spec: NamedLocationSpec): Promise<void>;
  /**
   * Sets isTrusted false first when the location is trusted (pass `known` to skip the GET that finds
   * out) and reads until the directory agrees; a DELETE refused (400) is retried, bounded
   * (src/graph/consistency.ts, GraphNotConsistentError). A location already gone counts as deleted.
   */
  deleteNamedLocation(id: string, known?: { isTrusted: boolean }, wait?: WaitOptions): Promise<void>;
  listPolicies(): Promise<ConditionalAccessPolicy[]>;
  getPolicy(id: string): Promise<ConditionalAccessPolicy | null>;
  /** `ignoreIds`: same-named policies that existed before (never taken as the created one on recovery). */
  createPolicy(body: PolicyBody, options?: { ignoreIds?: readonly string[] }): Promise<ConditionalAccessPolicy>;
  /** Read the policy until several reads in a row show none of `locationIds` in it, or a 404 (bounded). */
  waitPolicyReleases(policyId: string, locationIds: readonly string[], wait?: WaitOptions): Promise<void>;
  /** Read a new policy until several reads in a row return it (bounded). */
  waitPolicyVisible(policyId: string, wait?: WaitOptions): Promise<void>;
  /** Read a deleted policy until several reads in a row answer 404 (bounded). */
  waitPolicyGone(policyId: string, wait?: WaitOptions): Promise<void>;
  updatePolicy(id: string, body: PolicyBody): Promise<void>;
  /** PATCH the policy's `state` alone (the kill switch). */
  setPolicyState(id: string, state: PolicyState): Promise<void>;
  deletePolicy(id: string): Promise<void>;
  /** Conditional Access What If for one sign-in: every policy's answer (what-if.ts). Paced; counted as a read. */
  evaluateWhatIf(signIn: WhatIfSignIn): Promise<WhatIfPolicyResult[]>;
  readonly stats: GraphRequestStats;
}
