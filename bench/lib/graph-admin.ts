/**
 * The Graph emulator process's `/__emulator/*` controls bench:tenants needs beyond graphControl
 * (emulator-processes.ts), over HTTPS with the emulator's own CA:
 *
 *   reset()              POST  /__emulator/reset     empty tenants, no faults, the start configuration
 *   configure(patch)     PATCH /__emulator/config    e.g. { apps } (their tenants are served)
 *   randomFaults(cfg)    POST  /__emulator/faults    { random: cfg } (a fresh PRNG: same seed, same faults)
 *   requests()           GET   /__emulator/requests?kind=graph   with each request's tenant
 *   rangesOf(tenant, n)  GET   /__emulator/state?tenant=        the ranges of the tenant's locations named n…
 */
import type { EmulatorApp, RandomFaultConfig } from '../../src/emulators/graph/graph-emulator.ts';
import { httpsJson, type GraphEmulatorProcess } from './emulator-processes.ts';

export interface TenantRequest {
  tenantId: string;
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface GraphAdmin {
  reset(): Promise<void>;
  configure(patch: { apps?: EmulatorApp[] }): Promise<void>;
  randomFaults(config: RandomFaultConfig): Promise<void>;
  requests(): Promise<TenantRequest[]>;
  rangesOf(tenantId: string, locationName: string): Promise<string[]>;
}

export function graphAdmin(emu: GraphEmulatorProcess): GraphAdmin {
  const base = `${emu.url}/__emulator`;
  const call = (method: string, path: string, body?: unknown) => httpsJson(`${base}/${path}`, emu.caPem, method, body);
  return {
    async reset() {
      await call('POST', 'reset');
    },
    async configure(patch) {
      await call('PATCH', 'config', patch);
    },
    async randomFaults(config) {
      await call('POST', 'faults', { random: config });
    },
    async requests() {
      const body = (await call('GET', 'requests?kind=graph')) as { requests: (TenantRequest & { tenantId?: string })[] };
      return body.requests.map((r) => ({ tenantId: r.tenantId ?? '', method: r.method, path: r.path, status: r.status, at: r.at }));
    },
    async rangesOf(tenantId, locationName) {
      const state = (await call('GET', `state?tenant=${encodeURIComponent(tenantId)}`)) as { namedLocations: { displayName: string; ipRanges?: { cidrAddress: string }[] }[] };
      return state.namedLocations
        .filter((l) => l.displayName === locationName || l.displayName.startsWith(`${locationName} (`))
        .flatMap((l) => (l.ipRanges ?? []).map((r) => r.cidrAddress));
    },
  };
}
