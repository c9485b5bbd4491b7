/**
 * `/__emulator/*`: controls for tests, the demo and benchmarks (no authentication; the emulator binds
 * to loopback by default).
 *
 *   GET    /__emulator/requests[?tenant=&kind=graph|token]  request log: method, path, status, time, body
 *   DELETE /__emulator/requests                             clear the log
 *   POST   /__emulator/reset                                state, log, faults, throttle and config back to start
 *   GET    /__emulator/config     PATCH /__emulator/config  read / change configuration (also `apps`), e.g.
 *                                                           `{replicationDelayMs, replicationRules: {trustedDelete: 5000,
 *                                                           referencedDelete: null}, replicationMixedFraction,
 *                                                           replicationSeed, rejectUnknownProperties}` (a rule set
 *                                                           to null falls back to replicationDelayMs; a bad value is 400)
 *   GET    /__emulator/faults     POST  /__emulator/faults  pending faults (and `random` state) / add
 *                                                           `{faults?: FaultRule[], random?: {p429, p500,
 *                                                           p503, p504, seed, retryAfterSeconds, path,
 *                                                           method, tenantId} | null}` (null stops random
 *                                                           faults; a rule or `random` with `tenantId`
 *                                                           touches that tenant's requests only)
 *   DELETE /__emulator/faults                               drop pending and random faults
 *   POST   /__emulator/seed       {tenantId?, namedLocations?, policies?, directory?}: objects visible at once;
 *                                                           directory: {users: [id | {id, guest}], groups: {id: [user ids]}} for What If
 *   GET    /__emulator/state[?tenant=]                      authoritative state of a tenant
 */
import type { EmulatorResponse } from './emulator-http.ts';
import type { EmulatorConfigPatch } from './emulator-options.ts';
import type { FaultInjector, FaultRule } from './fault-injector.ts';
import type { Json } from './tenant-store.ts';
import { validateRandomFaults } from '../random-faults.ts';

/** Objects `POST /__emulator/seed` inserts, visible at once. */
export interface SeedInput {
  tenantId?: string;
  namedLocations?: Json[];
  policies?: Json[];
  /** Users and groups What If evaluates against (what-if-evaluate.ts): user ids or {id, guest}; {groupId: [member ids]}. */
  directory?: { users?: (string | { id: string; guest?: boolean })[]; groups?: Record<string, string[]> };
}

/**
 * The emulator as these routes see it. GraphEmulatorCore implements it; it is declared here (not
 * imported from the core) so that the core can route to these handlers without an import cycle.
 */
export interface EmulatorControls {
  readonly faults: FaultInjector;
  requests(): readonly { tenantId?: string; kind: string }[];
  clearRequests(): void;
  reset(): void;
  describe(): Json;
  configure(patch: EmulatorConfigPatch): void;
  seed(input: SeedInput): unknown;
  state(tenantId?: string): unknown;
}

function faultsBody(core: EmulatorControls): { faults: unknown[]; random?: unknown } {
  const random = core.faults.randomState();
  return random ? { faults: core.faults.pending(), random } : { faults: core.faults.pending() };
}

function bad(message: string): EmulatorResponse {
  return { status: 400, body: { error: { code: 'BadRequest', message: `EMULATOR: ${message}` } } };
}

export function handleControl(core: EmulatorControls, method: string, url: URL, body: unknown): EmulatorResponse {
  const route = url.pathname.replace(/^\/__emulator\//, '').replace(/\/$/, '');
  const tenant = url.searchParams.get('tenant') ?? undefined;
  try {
    switch (`${method} ${route}`) {
      case 'GET requests': {
        const kind = url.searchParams.get('kind');
        return { status: 200, body: { requests: core.requests().filter((r) => (!tenant || r.tenantId === tenant) && (!kind || r.kind === kind)) } };
      }
      case 'DELETE requests':
        core.clearRequests();
        return { status: 204 };
      case 'POST reset':
        core.reset();
        return { status: 204 };
      case 'GET config':
        return { status: 200, body: core.describe() };
      case 'PATCH config':
        core.configure((body ?? {}) as EmulatorConfigPatch);
        return { status: 200, body: core.describe() };
      case 'GET faults':
        return { status: 200, body: faultsBody(core) };
      case 'POST faults': {
        const b = body as { faults?: unknown; random?: unknown } | unknown[] | undefined;
        const list = Array.isArray(b) ? b : b?.faults;
        const hasRandom = !Array.isArray(b) && b !== undefined && 'random' in b;
        if (!Array.isArray(list) && !hasRandom) return bad('expected {"faults": [...]} and/or {"random": {...}}');
        if (list !== undefined && !Array.isArray(list)) return bad('"faults" must be an array');
        if (hasRandom) {
          const r = (b as { random?: unknown }).random;
          core.faults.setRandom(r === null ? undefined : validateRandomFaults(r));
        }
        if (list) core.faults.add(list as FaultRule[]);
        return { status: 200, body: faultsBody(core) };
      }
      case 'DELETE faults':
        core.faults.clear();
        return { status: 204 };
      case 'POST seed':
        return { status: 200, body: core.seed((body ?? {}) as SeedInput) };
      case 'GET state':
        return { status: 200, body: core.state(tenant) };
      default:
        return { status: 404, body: { error: { code: 'NotFound', message: `EMULATOR: no control ${method} /__emulator/${route}` } } };
    }
  } catch (e) {
    return bad((e as Error).message);
  }
}
