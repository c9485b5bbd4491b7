/**
 * HTTP basic authentication for the dashboard (and any ops endpoint that wants it). Credentials are
 * compared in constant time: both sides are hashed to fixed-length SHA-256 digests and compared with
 * timingSafeEqual, and the user and password checks are both always evaluated, so neither a length
 * nor a first-wrong-byte difference shows in the timing. The password is never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  username: string;
  password: string;
}

export const BASIC_REALM = 'tq-entra';

/** The WWW-Authenticate header to send with a 401. */
export const WWW_AUTHENTICATE = `Basic realm="${BASIC_REALM}", charset="UTF-8"`;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Parse an `Authorization: Basic …` header; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!m || m[1] === undefined) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Whether the Authorization header carries exactly these credentials (constant time). */
export function basicAuthMatches(header: string | undefined, expected: BasicCredentials): boolean {
  const given = parseBasicAuth(header) ?? { username: '', password: '' };
  const userOk = same(given.username, expected.username);
  const passOk = same(given.password, expected.password);
  return userOk && passOk && header !== undefined;
}
