/**
 * The world of bench:tenants: T tenants of one Graph emulator process, each with its own app
 * registration and one target fed by one file source, and the committed snapshot of every source.
 *
 *   tenantOf(i)         the GUID of tenant i (1-based), `7e57a000-0000-4000-8000-<i, 12 digits>`
 *   benchApps(T)        the emulator's app registrations of the T tenants (one writer app each)
 *   writeTenantsConfig  a configuration file: T targets `t01`… (tenant i, paced at 1 request/s,
 *                       locations `Bench`… with room for R ranges, policy `Bench`), T file sources `list01`… (each feeding
 *                       its target; the file holds its ranges), `worker.concurrency.reconcile` and a
 *                       key prefix as given, worker HTTP off (port 0: several workers, no port clash)
 *   commitSnapshots     the committed snapshot of every source, straight into Redis as a collect run
 *                       ends (snapshot-store.ts), so that a bench times the reconciles only
 *   rangesOf(i, R)      R never-adjacent public /32s, different for every tenant
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { collectionsOf } from '../../src/config/collections.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { ROLE_POLICY_READ_ALL, ROLE_POLICY_READWRITE_CA, type EmulatorApp } from '../../src/emulators/graph/emulator-options.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';

export const LOCATION_NAME = 'Bench';

const pad = (i: number, width: number): string => String(i).padStart(width, '0');

export function tenantOf(i: number): string {
  return `7e57a000-0000-4000-8000-${pad(i, 12)}`;
}

export function targetOf(i: number): string {
  return `t${pad(i, 2)}`;
}

export function sourceOf(i: number): string {
  return `list${pad(i, 2)}`;
}

function clientOf(i: number): string {
  return `c11e0000-0000-4000-8000-${pad(i, 12)}`;
}

export function benchApps(count: number): EmulatorApp[] {
  return Array.from({ length: count }, (_, k) => ({
    tenantId: tenantOf(k + 1),
    clientId: clientOf(k + 1),
    clientSecret: `bench-tenant-${k + 1}-secret`,
    roles: [ROLE_POLICY_READ_ALL, ROLE_POLICY_READWRITE_CA],
  }));
}

/** Range j of tenant i: a public /32 never adjacent to another (nothing merges), unique per tenant. */
export function rangesOf(i: number, count: number): string[] {
  return Array.from({ length: count }, (_, j) => {
    const n = i * 65_536 + j;
    return `${24 + (n >>> 22)}.${(n >>> 14) & 255}.${(n >>> 6) & 255}.${((n & 63) << 2) + 1}/32`;
  });
}

export interface TenantsConfigInput {
  redisUrl: string;
  prefix: string;
  graphUrl: string;
  graphCaFile: string;
  targets: number;
  ranges: number;
  concurrency: number;
}

export function writeTenantsConfig(input: TenantsConfigInput): { path: string; config: Config } {
  const dir = mkdtempSync(join(tmpdir(), 'tqe-tenants-'));
  const apps = benchApps(input.targets);
  const files = apps.map((_, k) => {
    const path = join(dir, `${sourceOf(k + 1)}.txt`);
    writeFileSync(path, `${rangesOf(k + 1, input.ranges).join('\n')}\n`);
    return path;
  });
  const path = join(dir, 'config.yaml');
  const doc = {
    redis: { url: input.redisUrl, prefix: input.prefix },
    sources: files.map((file, k) => ({ name: sourceOf(k + 1), kind: 'file', path: file, targets: [targetOf(k + 1)] })),
    targets: apps.map((app, k) => ({
      name: targetOf(k + 1),
      tenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      tls: { caFile: input.graphCaFile },
      cloud: { graphBaseUrl: input.graphUrl, authorityHost: input.graphUrl },
      rateLimit: { requestsPerSecond: 1 },
      // Room for every range: 2,000 per location (Entra's limit), at most 195 locations.
      namedLocation: { name: LOCATION_NAME, maxLocations: Math.min(195, Math.ceil(input.ranges / 2000)) },
      policy: { name: LOCATION_NAME },
    })),
    worker: { concurrency: { reconcile: input.concurrency }, http: { port: 0 } },
    pipeline: { reconcileWindow: '0s' },
  };
  writeFileSync(path, stringify(doc));
  return { path, config: loadConfigFile(path, { env: {} }) };
}

/** Commit every source's snapshot (the ranges of its tenant, weight 0) under the configuration's prefix. */
export async function commitSnapshots(redis: Redis, config: Config, ranges: number): Promise<void> {
  const keys = stateKeys(config.redis.prefix);
  const committedAt = new Date().toISOString();
  for (const [k, source] of config.sources.entries()) {
    const entries = rangesOf(k + 1, ranges).map((cidr) => ({ cidr, weight: 0 }));
    const meta = { runId: `bench-${k + 1}`, committedAt, seen: ranges, accepted: ranges, rejected: 0, ranges };
    for (const c of collectionsOf(source)) await commitSnapshot(redis, keys, source.name, c.id, entries, meta, 0);
  }
}
