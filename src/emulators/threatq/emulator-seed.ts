/**
 * The ThreatQ emulator's seed format (fixture files, `POST /__emulator/seed`, the programmatic API) and
 * its defaults. This is emulator-only; nothing here is ThreatQ API.
 *
 * Per-instance ids: type, status and indicator ids are derived from `idOffset` so that two emulated
 * instances never share them and none equals the common defaults (Active = 1, IP Address = 14/15),
 * which catches clients that hard-code ids.
 */
export interface SeedUser {
  email: string;
  password: string;
  /** The user's "API Credentials - Client ID" (password grant `client_id`). */
  clientId: string;
}

export interface SeedClient {
  clientId: string;
  clientSecret: string;
}

export interface SeedType {
  id?: number;
  name: string;
  class?: string;
}

export interface SeedStatus {
  id?: number;
  name: string;
  description?: string;
  include_in_export?: 'Y' | 'N';
}

export interface SeedIndicator {
  id?: number;
  value: string;
  /** Type name (must be one of the seeded types). */
  type: string;
  /** Status name (must be one of the seeded statuses). */
  status: string;
  score?: number | null;
  /** `YYYY-MM-DD HH:MM:SS` UTC. Default: a fixed base time plus one minute per indicator. */
  updated_at?: string;
  created_at?: string;
}

/** Which indicators a collection holds: explicit ids, or a predicate (all conditions must hold). */
export interface SeedCollection {
  indicatorIds?: number[];
  predicate?: { types?: string[]; statuses?: string[]; every?: number };
  /** Principals (user emails or OAuth client ids) that may read it. Absent: everyone. */
  sharedWith?: string[];
  /** Status answered to callers it is not shared with (404 like ThreatQ, or 403). Default 404. */
  deniedStatus?: 403 | 404;
}

/** How the generator spreads network values (indicator-generator.ts): merging clusters, or nothing merges. */
export const GENERATOR_DISTRIBUTIONS = ['clustered', 'sparse'] as const;
export type GeneratorDistribution = (typeof GENERATOR_DISTRIBUTIONS)[number];

export interface GenerateSpec {
  count: number;
  /** PRNG seed: the same seed and count always give the same indicators. Default 1. */
  seed?: number;
  /** Default `clustered`; `sparse` makes every accepted network value its own range (a full target). */
  distribution?: GeneratorDistribution;
}

export interface ThreatQSeed {
  users?: SeedUser[];
  clients?: SeedClient[];
  types?: SeedType[];
  statuses?: SeedStatus[];
  indicators?: SeedIndicator[];
  generate?: GenerateSpec;
  collections?: Record<string, SeedCollection>;
}

export const DEFAULT_TYPES: readonly SeedType[] = [
  { name: 'IP Address', class: 'network' },
  { name: 'IPv6 Address', class: 'network' },
  { name: 'CIDR Block', class: 'network' },
  { name: 'FQDN', class: 'network' },
  { name: 'URL', class: 'network' },
  { name: 'MD5', class: 'host' },
  { name: 'SHA-256', class: 'host' },
  { name: 'Email Address', class: 'network' },
];

export const DEFAULT_STATUSES: readonly SeedStatus[] = [
  { name: 'Active', description: 'Poses a threat and is being exported to detection tools.', include_in_export: 'Y' },
  { name: 'Expired', description: 'No longer poses a serious threat.', include_in_export: 'N' },
  { name: 'Indirect', description: 'Associated to an active indicator or event (i.e. pDNS).', include_in_export: 'N' },
  { name: 'Review', description: 'Requires further analysis.', include_in_export: 'N' },
  { name: 'Whitelisted', description: 'Poses NO risk and should never be deployed.', include_in_export: 'N' },
];

export const DEFAULT_USERS: readonly SeedUser[] = [{ email: 'analyst@example.com', password: 'emulator-password', clientId: 'emulator-api-client-id' }];
export const DEFAULT_CLIENTS: readonly SeedClient[] = [{ clientId: 'emulator-oauth-client', clientSecret: 'emulator-oauth-secret' }];

/** The collection ids of config/example.yaml: everything, and every third indicator. */
export const DEFAULT_COLLECTIONS: Readonly<Record<string, SeedCollection>> = {
  '6d4c1f0e2b9a8c7d': {},
  a1b2c3d4e5f6: { predicate: { every: 3 } },
};

/** Type id k (0-based) of an instance: spaced out and shifted by the instance's offset. */
export function typeIdFor(idOffset: number, index: number): number {
  return 20 + idOffset + index * 3;
}

export function statusIdFor(idOffset: number, index: number): number {
  return 7 + idOffset + index * 2;
}

export function firstIndicatorIdFor(idOffset: number): number {
  return 100_000 + idOffset * 1000;
}
