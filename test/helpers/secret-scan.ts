/**
 * Looking for secrets where they must never be (DESIGN.md invariant 8): every form a secret value can
 * take once it has left (as is, URL- or JSON-escaped, base64 at any byte alignment, base64url, hex),
 * credentials in URLs (`scheme://user:pass@`), bearer tokens of the emulators, and a dump of every
 * Redis key under a prefix, whatever its type.
 */
import type { RedisClient } from '../../src/redis/redis-connection.ts';

/** Substrings that betray `secret` in any of the forms it can take when copied somewhere. */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set<string>([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), bytes.toString('hex')]);
  // base64 of a string that contains the secret at any offset: for each of the three alignments, the
  // characters that depend only on the secret's bytes.
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad, 0x41), bytes]).toString('base64');
    const skip = pad === 0 ? 0 : Math.ceil((pad * 4) / 3);
    const inner = b64.replace(/=+$/, '').slice(skip, -2);
    if (inner.length >= 8) {
      forms.add(inner);
      forms.add(inner.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms];
}

/** `scheme://user:password@` with a password that is not the redaction marker. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'\\]+:(?!\[REDACTED\])[^\s/?#@"'\\]+@/gi;
/** The Graph emulator's access tokens (unsigned JWTs) and the ThreatQ emulator's (tq_at_…, tq_rt_…). */
const TOKENS = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}|tq_[ar]t_[0-9a-f]{16,}/g;

export interface Leak {
  where: string;
  what: string;
  excerpt: string;
}

/** Every leak of `secrets` (by name) in `text`, found at `where`. */
export function findLeaks(where: string, text: string, secrets: Record<string, string>): Leak[] {
  const out: Leak[] = [];
  const excerpt = (i: number) => text.slice(Math.max(0, i - 80), i + 80);
  for (const [name, value] of Object.entries(secrets)) {
    for (const form of secretForms(value)) {
      const i = text.indexOf(form);
      if (i >= 0) out.push({ where, what: form === value ? name : `${name} (encoded: ${form})`, excerpt: excerpt(i) });
    }
  }
  for (const m of text.matchAll(URL_CREDENTIALS)) out.push({ where, what: 'credentials in a URL', excerpt: excerpt(m.index) });
  for (const m of text.matchAll(TOKENS)) out.push({ where, what: 'an access token', excerpt: excerpt(m.index) });
  return out;
}

/** Every key under `prefix` with its type and its whole value as text (binary bytes as latin1). */
export async function dumpRedis(redis: RedisClient, prefix: string): Promise<{ key: string; type: string; text: string }[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const out: { key: string; type: string; text: string }[] = [];
  const text = (values: (Buffer | string)[]) => values.map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v)).join('\n');
  for (const key of [...new Set(keys)].sort()) {
    const type = await redis.type(key);
    let value: (Buffer | string)[];
    switch (type) {
      case 'string':
        value = [(await redis.getBuffer(key)) ?? ''];
        break;
      case 'hash':
        value = await redis.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([k, v]) => [k, v]));
        break;
      case 'list':
        value = await redis.lrangeBuffer(key, 0, -1);
        break;
      case 'set':
        value = await redis.smembersBuffer(key);
        break;
      case 'zset':
        value = await redis.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
        break;
      case 'stream':
        value = (await redis.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
        break;
      case 'none': // expired since the scan
        continue;
      default:
        throw new Error(`key ${key}: unexpected Redis type ${type}`);
    }
    out.push({ key, type, text: text(value) });
  }
  return out;
}
