/**
 * A faithful local Microsoft Graph for tests, the demo and benchmarks (graph-api.md §9): one HTTPS
 * server (self-signed certificate made at start or kept in `stateDir`, written out as a CA file) that serves both the token
 * side for @azure/identity and the v1.0 conditional access endpoints.
 *
 *   const emu = await startGraphEmulator({ throttle: { requestsPerSecond: 20 } });
 *   target.cloud = { graphBaseUrl: emu.graphBaseUrl, authorityHost: emu.authorityHost };
 *   target.tls = { verify: true, caFile: emu.caFile };
 *   …; await emu.close();
 *
 * Behaviour: graph-emulator-core.ts (order of checks), resource-routes.ts (CRUD, paging),
 * named-location-rules.ts (NL1–NL10), policy-rules.ts (P1–P9), tenant-throttle.ts, tenant-store.ts
 * (replication delay), fault-injector.ts (scripted and seeded random faults), control-routes.ts
 * (`/__emulator/*`).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createEmulatorCertificate } from './emulator-certificate.ts';
import { DEFAULT_APPS, type EmulatorApp, type GraphEmulatorConfig, type GraphEmulatorOptions, type ThrottleConfig } from './emulator-options.ts';
import type { FaultRule, PendingFault } from './fault-injector.ts';
import type { RandomFaultConfig, RandomFaultState } from '../random-faults.ts';
import type { SeedInput } from './control-routes.ts';
import { GraphEmulatorCore, type RequestLogEntry } from './graph-emulator-core.ts';
import type { Json } from './tenant-store.ts';

export type { RandomFaultConfig, RandomFaultState };
export type { EmulatorApp, FaultRule, GraphEmulatorConfig, GraphEmulatorOptions, RequestLogEntry, SeedInput };
export { DEFAULT_APPS, DEFAULT_TENANT_ID } from './emulator-options.ts';

export interface GraphEmulator {
  /** `https://127.0.0.1:<port>`: use as `cloud.graphBaseUrl` (the client appends `/v1.0`). */
  graphBaseUrl: string;
  /** Same origin: use as `cloud.authorityHost`. */
  authorityHost: string;
  port: number;
  caFile: string;
  caPem: string;
  /** True when the TLS key and certificate were reused from `stateDir` (not made at this start). */
  certificateReused: boolean;
  tenants: () => string[];
  apps: () => EmulatorApp[];
  requests: (filter?: { tenantId?: string; kind?: 'graph' | 'token' }) => RequestLogEntry[];
  clearRequests: () => void;
  reset: () => void;
  configure: (patch: Partial<Omit<GraphEmulatorConfig, 'throttle'>> & { throttle?: Partial<ThrottleConfig>; apps?: EmulatorApp[]; tenants?: string[] }) => void;
  config: () => GraphEmulatorConfig;
  addFaults: (faults: FaultRule[]) => void;
  pendingFaults: () => PendingFault[];
  /** Seeded random faults on Graph requests (undefined stops them); see random-faults.ts. */
  setRandomFaults: (config: RandomFaultConfig | undefined) => void;
  randomFaults: () => RandomFaultState | undefined;
  seed: (input: SeedInput) => { namedLocations: string[]; policies: string[] };
  state: (tenantId?: string) => { tenantId: string; namedLocations: Json[]; policies: Json[] };
  close: () => Promise<void>;
}

export async function startGraphEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const cert = await createEmulatorCertificate({
    ...(options.caFile !== undefined ? { caFile: options.caFile } : {}),
    ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
    extraNames: options.publicHost ? [options.publicHost] : [],
  });
  const core = new GraphEmulatorCore(options, DEFAULT_APPS);
  const server: Server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    core.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'InternalServerError', message: `EMULATOR: ${(e as Error).message}` } }));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.publicHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);
  const origin = `https://${shownHost}:${port}`;
  core.origin = origin;
  return {
    graphBaseUrl: origin,
    authorityHost: origin,
    port,
    caFile: cert.caFile,
    caPem: cert.certPem,
    certificateReused: cert.reused,
    tenants: () => [...core.tenants],
    apps: () => core.apps.map((a) => ({ ...a })),
    requests: (filter = {}) =>
      core.requests().filter((r) => (!filter.tenantId || r.tenantId === filter.tenantId) && (!filter.kind || r.kind === filter.kind)),
    clearRequests: () => core.clearRequests(),
    reset: () => core.reset(),
    configure: (patch) => core.configure(patch),
    config: () => structuredClone(core.cfg),
    addFaults: (faults) => core.addFaults(faults),
    pendingFaults: () => core.faults.pending(),
    setRandomFaults: (config) => core.faults.setRandom(config),
    randomFaults: () => core.faults.randomState(),
    seed: (input) => core.seed(input),
    state: (tenantId) => core.state(tenantId),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
