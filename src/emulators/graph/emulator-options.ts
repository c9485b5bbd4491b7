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

export interface GraphEmulatorConfig {
  throttle: ThrottleConfig;
  /** New, changed and deleted objects become visible to reads this long after the write. */
  replicationDelayMs: number;
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
}

/** Merge a partial configuration onto a full one (throttle and platformMatrix merged one level deep). */
export function mergeConfig(base: GraphEmulatorConfig, patch: Partial<Omit<GraphEmulatorConfig, 'throttle'>> & { throttle?: Partial<ThrottleConfig> }): GraphEmulatorConfig {
  const out: GraphEmulatorConfig = { ...base, throttle: { ...base.throttle }, platformMatrix: { ...base.platformMatrix } };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (k === 'throttle') out.throttle = { ...out.throttle, ...(v as Partial<ThrottleConfig>) };
    else if (k in DEFAULT_CONFIG) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
