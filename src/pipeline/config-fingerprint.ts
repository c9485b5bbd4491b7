/**
 * A short fingerprint of the configuration that produced a job. Producers (the scheduler, `sync`,
 * collect runs enqueueing reconciles) put it in the job data; a worker whose own configuration has a
 * different fingerprint logs one warning per distinct fingerprint (workers read the configuration once,
 * at start: restart them after a configuration change). Computed over the resolved configuration with
 * secrets redacted, so it never depends on, or reveals, a secret: rotating a secret does not change it.
 */
import { createHash } from 'node:crypto';
import { redactConfig } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';

const cache = new WeakMap<Config, string>();

/** 12 hex digits of SHA-256 over the redacted configuration's canonical JSON (keys sorted). */
export function configFingerprint(config: Config): string {
  const hit = cache.get(config);
  if (hit !== undefined) return hit;
  const fp = createHash('sha256').update(canonicalJson(redactConfig(config))).digest('hex').slice(0, 12);
  cache.set(config, fp);
  return fp;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
