/**
 * Graph emulator configuration: tenants, app registrations (secrets, per-app roles), throttling,
 * replication delay, validation flags. Defaults are faithful to Microsoft Graph where known
 * (graph-api.md §9): 1 request/s per tenant with burst 1 and no Retry-After on 429, 195 locations,
 * 2000 ranges, 195 policies, prefixes no broader than /8, private ranges accepted.
 */
export const DEFAULT_TENANT_ID = '5f0c4a7e-6d1b-4c8e-9a2f-0e7d3b1c9a01';

export const ROLE_POLICY_READ_ALL = 'Policy.Read.All';
export const ROLE_POLICY_READ_CA = 'Policy.Read.ConditionalAccess';
export const ROLE_POLICY_READWRITE_CA = 'Policy.ReadWrite.ConditionalAccess';

export interface EmulatorApp {
  tenantId: string;
  clientId: string;
  /** Accepted client secret (ClientSecretCredential). */
  clientSecret?: string;
  /** Accept client assertions (ClientCertificateCredential); the assertion's signature is not checked. */
  certificate?: boolean;
  /** Application roles put in the token's `roles` claim. */
  roles: string[];
  /** A label for humans (printed by `tq-entra emulate graph`). */
  label?: string;
}

export const DEFAULT_APPS: readonly EmulatorApp[] = Object.freeze([
  {
    tenantId: DEFAULT_TENANT_ID,
    clientId: 'c1a0d7e2-3b4f-4a5c-8d6e-7f8091a2b3c4',
    clientSecret: 'emulator-writer-secret',
    certificate: true,
    roles: [ROLE_POLICY_READ_ALL, ROLE_POLICY_READWRITE_CA],
    label: 'writer (Policy.Read.All + Policy.ReadWrite.ConditionalAccess)',
  },
  {
    tenantId: DEFAULT_TENANT_ID,
    clientId: 'e2b1c8d3-4c5a-4b6d-9e7f-8091a2b3c4d5',
    clientSecret: 'emulator-reader-secret',
    roles: [ROLE_POLICY_READ_ALL],
    label: 'reader (Policy.Read.All only: writes get 403)',
  },
]);

export interface ThrottleConfig {
  /** Requests per second per tenant over all CA and named-location requests; 0 disables throttling. */
  requestsPerSecond: number;
  burst: number;
  /** Seconds to put in Retry-After on throttle 429s; null (default, like Graph) sends none. */
  retryAfterSeconds: number | null;
}

/**
 * Replication rules (graph-api.md §5, §9.5; DESIGN.md invariant 9). Each names a precondition or read
 * that Graph evaluates on replicated state, and its delay defaults to `replicationDelayMs`:
 *
 * - `readAfterCreate`: GET of a new object is 404 and lists leave it out.
 * - `readAfterUpdate`: GET and lists show the previous version of a changed object.
 * - `readAfterDelete`: GET and lists still show a deleted object.
 * - `writeAfterCreate`: PATCH and DELETE of a new object are 404 (EMULATOR: Microsoft's answer is
 *   unknown; 404 is the stricter reading, a client cannot tell it from "gone").
 * - `referenceAfterCreate`: a policy naming a new location gets the 1040 error.
 * - `trustedDelete`: DELETE of a location whose un-trust has not replicated is refused as trusted (NL8).
 * - `referencedDelete`: DELETE of a location whose last reference was dropped (policy PATCH or DELETE)
 *   less than this ago is refused as referenced (NL9).
 * - `countAfterDelete`: an object deleted less than this ago still counts toward the tenant's 195
 *   named locations (NL7) or 195 policies (P9), on create and on restore (EMULATOR: Microsoft does not
 *   say which view the limits are counted on; counting both the latest and the replicated view is the
 *   stricter reading).
 *
 * During the last `replicationMixedFraction` of a read rule's delay, each read sees the new or the old
 * state at random (seeded by `replicationSeed`, per object and read): Terraform's azuread maintainers saw
 * Graph "return both the old and new versions for a while" and, after a delete, "a mixture of 404 and
 * 200". Preconditions never mix: they hold only once the change has fully replicated, and they also
 * hold against the latest write (whichever of the two refuses, refuses).
 */
export const REPLICATION_RULES = [
  'readAfterCreate',
  'readAfterUpdate',
  'readAfterDelete',
  'writeAfterCreate',
  'referenceAfterCreate',
  'trustedDelete',
  'referencedDelete',
  'countAfterDelete',
] as const;
export type ReplicationRule = (typeof REPLICATION_RULES)[number];

export interface GraphEmulatorConfig {
  throttle: ThrottleConfig;
  /** The default delay of every replication rule: writes become visible to reads this long after. */
  replicationDelayMs: number;
  /** Per-rule delays (ms) overriding `replicationDelayMs`. */
  replicationRules: Partial<Record<ReplicationRule, number>>;
  /** Fraction (0–1) at the end of each read rule's delay during which reads mix old and new. */
  replicationMixedFraction: number;
  /** Seed of the mixed reads (deterministic per seed, object and read count). */
  replicationSeed: number;
  /** A POST/PATCH body with a property the v1.0 schema does not know is refused with 400. */
  rejectUnknownProperties: boolean;
  /** Server page size of list responses (Graph's real default is undocumented). */
  pageSize: number;
  /** NL5: the broadest prefix accepted, for both families. */
  minPrefix: number;
  /** NL10: refuse private and reserved ranges (off by default: Graph accepts them). */
  strictPublic: boolean;
  /** NL9: refuse deleting a location a policy references. */
  rejectReferencedDelete: boolean;
  rejectDuplicateRanges: boolean;
  maxLocations: number;
  maxRanges: number;
  maxPolicies: number;
  /** Accept PUT on a named location as an alias of PATCH with replace semantics. */
  allowPut: boolean;
  /** P7: client app types that cannot be combined with these platforms in includePlatforms. */
  platformMatrix: Record<string, string[]>;
  tokenLifetimeSeconds: number;
}

export const DEFAULT_CONFIG: GraphEmulatorConfig = Object.freeze({
  throttle: { requestsPerSecond: 1, burst: 1, retryAfterSeconds: null },
  replicationDelayMs: 0,
  replicationRules: {},
  replicationMixedFraction: 0.5,
  replicationSeed: 1,
  rejectUnknownProperties: true,
  pageSize: 100,
  minPrefix: 8,
  strictPublic: false,
  rejectReferencedDelete: true,
  rejectDuplicateRanges: false,
  maxLocations: 195,
  maxRanges: 2000,
  maxPolicies: 195,
  allowPut: false,
  platformMatrix: { exchangeActiveSync: ['macOS', 'linux'], easSupported: ['macOS', 'linux'] },
  tokenLifetimeSeconds: 3599,
});

export interface GraphEmulatorOptions extends Partial<Omit<GraphEmulatorConfig, 'throttle'>> {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Tenants served; default: the tenants of `apps`, else DEFAULT_TENANT_ID. */
  tenants?: string[];
  /** App registrations; default DEFAULT_APPS (a writer and a read-only app). */
  apps?: EmulatorApp[];
  throttle?: Partial<ThrottleConfig>;
  /** Where to write the CA certificate (PEM); default `<stateDir>/ca.pem`, else a fresh temporary directory. */
  caFile?: string;
  /**
   * Directory that keeps the TLS key and certificate across restarts (emulator-certificate.ts): a
   * stored pair that still fits is reused, so clients that trusted the CA before a restart keep
   * working. Default: none, a new certificate at every start.
   */
  stateDir?: string;
  /**
   * The host name clients use to reach the emulator when it is not 127.0.0.1 (e.g. `graph-emulator`
   * in docker-compose): added to the certificate and used in the OpenID configuration's endpoints.
   */
  publicHost?: string;
  /** The emulator's clock (epoch ms) for replication and timestamps; default Date.now. Tests may drive it. */
  clock?: () => number;
}

/** The delay of one replication rule: its override, else `replicationDelayMs`. */
export function replicationDelay(cfg: GraphEmulatorConfig, rule: ReplicationRule): number {
  return cfg.replicationRules[rule] ?? cfg.replicationDelayMs;
}

/** Check the replication settings of a configuration patch; throws with a message naming the problem. */
export function validateReplication(patch: Record<string, unknown>): void {
  const ms = (name: string, v: unknown): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number of milliseconds >= 0 (got ${JSON.stringify(v)})`);
  };
  if (patch['replicationDelayMs'] !== undefined) ms('replicationDelayMs', patch['replicationDelayMs']);
  const rules = patch['replicationRules'];
  if (rules !== undefined) {
    if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) throw new Error('replicationRules must be an object {rule: ms}');
    for (const [k, v] of Object.entries(rules)) {
      if (!(REPLICATION_RULES as readonly string[]).includes(k)) throw new Error(`unknown replication rule "${k}" (known: ${REPLICATION_RULES.join(', ')})`);
      if (v !== null) ms(`replicationRules.${k}`, v);
    }
  }
  const f = patch['replicationMixedFraction'];
  if (f !== undefined && (typeof f !== 'number' || !(f >= 0 && f <= 1))) throw new Error(`replicationMixedFraction must be a number from 0 to 1 (got ${JSON.stringify(f)})`);
  const seed = patch['replicationSeed'];
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) throw new Error(`replicationSeed must be an integer (got ${JSON.stringify(seed)})`);
}

/** A partial configuration as merged by mergeConfig (the throttle may itself be partial). */
export type ConfigPatch = Partial<Omit<GraphEmulatorConfig, 'throttle'>> & { throttle?: Partial<ThrottleConfig> };

/** What `PATCH /__emulator/config` and `configure()` take: configuration plus apps and tenants. */
export type EmulatorConfigPatch = ConfigPatch & { apps?: EmulatorApp[]; tenants?: string[] };

/**
 * Merge a partial configuration onto a full one (throttle, platformMatrix and replicationRules merged
 * one level deep; a rule set to null loses its override).
 */
export function mergeConfig(base: GraphEmulatorConfig, patch: ConfigPatch): GraphEmulatorConfig {
  validateReplication(patch as Record<string, unknown>);
  const out: GraphEmulatorConfig = { ...base, throttle: { ...base.throttle }, platformMatrix: { ...base.platformMatrix }, replicationRules: { ...base.replicationRules } };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (k === 'throttle') out.throttle = { ...out.throttle, ...(v as Partial<ThrottleConfig>) };
    else if (k === 'replicationRules') {
      for (const [rule, ms] of Object.entries(v as Record<string, number | null>)) {
        if (ms === null) delete out.replicationRules[rule as ReplicationRule];
        else out.replicationRules[rule as ReplicationRule] = ms;
      }
    }
    else if (k in DEFAULT_CONFIG) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
