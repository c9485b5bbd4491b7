/**
 * Extract a short human message from a ThreatQ error body. Shapes seen (reference §5):
 * `{"errors": ["…", ["…", "…"]]}`, `{"data": {"errors": {"field": ["…"]}}}`, Laravel/OAuth
 * `{"error": "invalid_grant", "error_description": "…", "message": "…"}`. Returns undefined for
 * anything else (HTML pages, empty bodies). Truncated and scrubbed of registered secrets.
 */
import { redactString } from '../observability/secrets.ts';

const MAX = 200;

function flatten(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) flatten(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const inner: string[] = [];
      flatten(v, inner);
      if (inner.length > 0) out.push(`${k}: ${inner.join(' ')}`);
    }
  }
}

export function serverMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const o = parsed as { errors?: unknown; data?: { errors?: unknown }; error?: unknown; error_description?: unknown; message?: unknown };
  const parts: string[] = [];
  if (o.errors !== undefined) flatten(o.errors, parts);
  else if (o.data !== null && typeof o.data === 'object' && o.data.errors !== undefined) flatten(o.data.errors, parts);
  else if (typeof o.error_description === 'string') parts.push(o.error_description);
  else if (typeof o.message === 'string') parts.push(o.message);
  else if (typeof o.error === 'string') parts.push(o.error);
  if (parts.length === 0) return undefined;
  const text = redactString(parts.join('; ').replace(/\s+/g, ' ').trim());
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text;
}
