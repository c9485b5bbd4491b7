/**
 * Secret redaction, shared by the logger, config printing, error serialisation and job data.
 *
 * Two layers: values registered at start-up (every secret read from the configuration) are scrubbed
 * from any string, wherever they appear; and object keys that look secret (`clientSecret`,
 * `password`, `access_token`, `authorization`, …) have their values replaced whatever they hold.
 * Bearer and Basic credentials in free text are scrubbed too, and so are credentials in URLs
 * (`https://user:password@host` → `https://user:[REDACTED]@host`, `https://token@host` →
 * `https://[REDACTED]@host`): redactUrlCredentials, applied by redactString, so wherever a URL is
 * printed or logged (config check --print, errors, log lines) its credentials are not.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /(secret|password|passwd|token|authorization|cookie|api[-_]?key|credential|assertion)/i;
/** Keys that contain "token" but hold no secret. */
const NOT_SECRET_KEYS = new Set(['tokenType', 'token_type', 'expires_in', 'expiresOnTimestamp', 'fencingToken']);
const AUTH_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g;

// scheme://userinfo@ — userinfo without "/", "?", "#", "@" or whitespace.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]+)@/gi;

const registered = new Set<string>();

/** Credentials in URLs redacted: the password (the user name is kept), or a user name alone (a token). */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon < 0) return `${scheme}${REDACTED}@`;
    if (colon === userinfo.length - 1) return `${scheme}${userinfo}@`; // "user:@": no password
    return `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
}

/** Remember a secret value so that it is scrubbed from every log line and error from now on. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.length >= 4) registered.add(value);
}

/** Forget all registered secrets (tests only). */
export function clearRegisteredSecrets(): void {
  registered.clear();
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEYS.has(key);
}

export function redactString(text: string): string {
  let out = redactUrlCredentials(text.replace(AUTH_TEXT, (_m, scheme: string) => `${scheme} ${REDACTED}`));
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A deep copy of `value` with secret keys and registered secret values redacted. */
export function redactDeep<T>(value: T, seen = new WeakSet<object>()): T {
  return walk(value, seen) as T;
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, seen));
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactString(value.message) };
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : walk(v, seen);
    return out;
  }
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : walk(v, seen);
  }
  return out;
}
