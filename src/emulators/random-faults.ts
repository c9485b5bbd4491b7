/**
 * Seeded random faults shared by the Graph and ThreatQ emulators (chaos tests, demos).
 *
 * `RandomFaults` answers "should this request fail, and how?" from a seeded PRNG (mulberry32), so a
 * chaos run with the same seed and the same request order sees the same faults. Each request rolls
 * once: with probability `p429` a 429, else `p500`, `p503`, `p504` in that order (the probabilities
 * add up; their sum must not exceed 1). Optional `path` (substring), `method` and `tenantId` (Graph
 * emulator: the caller's tenant; one tenant answers faults while the others are served normally)
 * narrow what is eligible; `retryAfterSeconds` puts a Retry-After header on the faults (none by default, as Graph's
 * conditional access 429s carry none). `fired` counts the faults given, by status.
 * Emulator-only: never used by the service.
 */
import { mulberry32 } from './mulberry32.ts';

export { mulberry32 };

export interface RandomFaultConfig {
  p429?: number;
  p500?: number;
  p503?: number;
  p504?: number;
  /** Seed of the PRNG (an unsigned 32-bit integer); default 1. */
  seed?: number;
  /** Retry-After (seconds) sent with the faults; default none. */
  retryAfterSeconds?: number;
  /** Only requests whose path contains this substring are eligible. */
  path?: string;
  /** Only requests with this method are eligible. */
  method?: string;
  /** Only requests of this tenant are eligible (Graph emulator; a request with no tenant never is). */
  tenantId?: string;
}

export interface RandomFaultState {
  config: RandomFaultConfig;
  /** Eligible requests seen. */
  rolls: number;
  /** Faults given, by status. */
  fired: Record<string, number>;
}

const STATUSES = [
  ['p429', 429],
  ['p500', 500],
  ['p503', 503],
  ['p504', 504],
] as const;


/** Check a random-fault configuration; throws an Error naming the bad field. */
export function validateRandomFaults(input: unknown): RandomFaultConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Error('random faults must be an object like {"p429": 0.3, "seed": 7}');
  const cfg = input as Record<string, unknown>;
  const known = new Set(['p429', 'p500', 'p503', 'p504', 'seed', 'retryAfterSeconds', 'path', 'method', 'tenantId']);
  for (const k of Object.keys(cfg)) if (!known.has(k)) throw new Error(`random faults: unknown field "${k}"`);
  let sum = 0;
  for (const [key] of STATUSES) {
    const p = cfg[key];
    if (p === undefined) continue;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`random faults: ${key} must be a number in 0-1, got ${JSON.stringify(p)}`);
    sum += p;
  }
  if (sum > 1 + 1e-9) throw new Error(`random faults: the probabilities add up to ${sum}, more than 1`);
  if (cfg['seed'] !== undefined && (typeof cfg['seed'] !== 'number' || !Number.isInteger(cfg['seed']))) throw new Error('random faults: seed must be an integer');
  const ra = cfg['retryAfterSeconds'];
  if (ra !== undefined && (typeof ra !== 'number' || !(ra >= 0))) throw new Error('random faults: retryAfterSeconds must be a number >= 0');
  for (const k of ['path', 'method', 'tenantId']) if (cfg[k] !== undefined && typeof cfg[k] !== 'string') throw new Error(`random faults: ${k} must be a string`);
  return { ...(cfg as RandomFaultConfig) };
}

export class RandomFaults {
  private readonly random: () => number;
  private readonly st: RandomFaultState;

  constructor(config: RandomFaultConfig) {
    const cfg = validateRandomFaults(config);
    this.random = mulberry32(cfg.seed ?? 1);
    this.st = { config: cfg, rolls: 0, fired: {} };
  }

  /** The status to answer this request with, or undefined to serve it normally. `tenantId`: the caller's (Graph). */
  roll(method: string, path: string, tenantId?: string): number | undefined {
    const c = this.st.config;
    if (c.method !== undefined && c.method.toUpperCase() !== method.toUpperCase()) return undefined;
    if (c.path !== undefined && !path.includes(c.path)) return undefined;
    if (c.tenantId !== undefined && c.tenantId.toLowerCase() !== tenantId?.toLowerCase()) return undefined;
    this.st.rolls++;
    const x = this.random();
    let edge = 0;
    for (const [key, status] of STATUSES) {
      edge += c[key] ?? 0;
      if (x < edge) {
        this.st.fired[String(status)] = (this.st.fired[String(status)] ?? 0) + 1;
        return status;
      }
    }
    return undefined;
  }

  get retryAfterSeconds(): number | undefined {
    return this.st.config.retryAfterSeconds;
  }

  state(): RandomFaultState {
    return { config: { ...this.st.config }, rolls: this.st.rolls, fired: { ...this.st.fired } };
  }
}
