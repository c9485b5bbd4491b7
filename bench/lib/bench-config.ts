/**
 * The configuration file bench:e2e hands to its worker processes: one ThreatQ source (the emulator
 * process, client_credentials grant), one target on the Graph emulator with `maxLocations: 195`
 * (Entra's ceiling: 195 × 2000 = 390,000 ranges) and a throw-away Redis key prefix. Pacing:
 *   off   target rateLimit.requestsPerSecond 100 (the schema's maximum), emulator throttle off
 *   real  1 request per second on both sides, as Microsoft limits conditional-access calls
 * The worker's HTTP endpoints are off (port 0), so several workers never fight over a port.
 * Several ThreatQ emulators (`threatqUrls`, bench:e2e --sources S) are sources `tq`, `tq2`, … `tqS`,
 * each with the bench collection, all feeding the one target.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { DEFAULT_APPS, DEFAULT_TENANT_ID } from '../../src/emulators/graph/emulator-options.ts';

export const BENCH_COLLECTION = '6d4c1f0e2b9a8c7d';
export const BENCH_SOURCE = 'tq';
export const BENCH_TARGET = 'corp';
export const BENCH_MAX_LOCATIONS = 195;
export const BENCH_MAX_RANGES = 2000;

/** Where a bench's Graph emulator is: its CA file, Graph base URL and authority host. */
export interface BenchGraphEndpoint {
  caFile: string;
  graphBaseUrl: string;
  authorityHost: string;
}

/**
 * A target document on the Graph emulator, written by its first app (the one allowed to write), in
 * the emulator's default tenant, unpaced (100 requests/s), location and policy named "Bench";
 * `overrides` replace any key (e.g. namedLocation, removalGrace).
 */
export function benchTargetDoc(name: string, graph: BenchGraphEndpoint, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const writer = DEFAULT_APPS[0];
  return {
    name,
    tenantId: DEFAULT_TENANT_ID,
    clientId: writer?.clientId,
    clientSecret: writer?.clientSecret,
    tls: { caFile: graph.caFile },
    cloud: { graphBaseUrl: graph.graphBaseUrl, authorityHost: graph.authorityHost },
    rateLimit: { requestsPerSecond: 100 },
    namedLocation: { name: 'Bench', maxLocations: BENCH_MAX_LOCATIONS, maxRangesPerLocation: BENCH_MAX_RANGES },
    policy: { name: 'Bench' },
    ...overrides,
  };
}

export interface BenchConfigInput {
  redisUrl: string;
  prefix: string;
  /** One ThreatQ emulator per source. */
  threatqUrls: readonly string[];
  graphUrl: string;
  graphCaFile: string;
  pageSize: number;
  objectsPerRun: number;
  requestsPerSecond: number;
  /**
   * Hold each commit's reconcile (window 5 min, max wait 1 h) so that the bench can start it once
   * every source has committed (measure-run.ts promotes it): with several large sources an early
   * reconcile of the first ones would run beside the collect of the rest, and the next, seeing the
   * union, would be refused by the removal guard. Each commit moves the held reconcile 5 min on (the
   * longest window the configuration allows): commits further apart than that would still let an
   * early one run (here they come within a minute or two of each other).
   */
  holdReconcile?: boolean;
}

/** The source names of bench:e2e with `count` sources: `tq` (BENCH_SOURCE), then `tq2`, `tq3`, … */
export function benchSources(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? BENCH_SOURCE : `${BENCH_SOURCE}${i + 1}`));
}

export function writeBenchConfig(input: BenchConfigInput): { path: string; config: Config } {
  const writer = DEFAULT_APPS[0];
  const dir = mkdtempSync(join(tmpdir(), 'tqe-e2e-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    stringify({
      redis: { url: input.redisUrl, prefix: input.prefix },
      sources: benchSources(input.threatqUrls.length).map((name, i) => ({
        name,
        kind: 'threatq',
        url: input.threatqUrls[i],
        pageSize: input.pageSize,
        auth: { grant: 'client_credentials', clientId: 'emulator-oauth-client', clientSecret: 'emulator-oauth-secret' },
        collections: [{ id: BENCH_COLLECTION, targets: [BENCH_TARGET] }],
      })),
      targets: [
        {
          name: BENCH_TARGET,
          tenantId: DEFAULT_TENANT_ID,
          clientId: writer?.clientId,
          clientSecret: writer?.clientSecret,
          tls: { caFile: input.graphCaFile },
          cloud: { graphBaseUrl: input.graphUrl, authorityHost: input.graphUrl },
          rateLimit: { requestsPerSecond: input.requestsPerSecond },
          objectsPerRun: input.objectsPerRun,
          namedLocation: { name: 'Bench', maxLocations: BENCH_MAX_LOCATIONS, maxRangesPerLocation: BENCH_MAX_RANGES },
          policy: { name: 'Bench' },
        },
      ],
      worker: { http: { port: 0 } },
      ...(input.holdReconcile ? { pipeline: { reconcileWindow: '5m', reconcileMaxWait: '1h' } } : {}),
    }),
  );
  return { path, config: loadConfigFile(path) };
}
