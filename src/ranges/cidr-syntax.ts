/**
 * Syntax of one indicator value: text -> numeric CIDR (family, start, prefix), or the rejection code of
 * the first problem found. No policy here (prefix floor, reserved space and ThreatQ types are applied by
 * parse-indicator.ts); normalizeCidr and the set operations use this directly.
 *
 * Rules, checked in this order:
 *   - surrounding whitespace, a BOM and CR are trimmed; nothing left -> EMPTY;
 *   - "[v6]" brackets are accepted and removed; "[v6]:port" and "a.b.c.d:port" -> PORT_SUFFIX;
 *   - "%zone" on an IPv6 value -> ZONE_INDEX;
 *   - the address must be a strict dotted quad or IPv6 text (ipv4-text.ts, ipv6-text.ts);
 *   - the prefix ("/24", "/024", or for IPv4 a netmask "/255.255.255.0" or host mask "/0.0.0.255", as
 *     Python's ipaddress accepts) must be 0-32 / 0-128; a missing
 *     prefix means a single address (/32, /128);
 *   - IPv4-mapped IPv6 (::ffff:0:0/96 and narrower) becomes the IPv4 range (flag `mapped`);
 *   - host bits beyond the prefix are cleared (flag `hostBits`).
 */
import type { RejectCode } from './reason-codes.ts';
import { V4_LEADING_ZERO, V4_OCTET_OUT_OF_RANGE, netmaskToPrefix, parseIPv4, v4BlockSize } from './ipv4-text.ts';
import { V6_OK, hostMaskWord, parseIPv6 } from './ipv6-text.ts';

export interface CidrSyntaxOk {
  ok: true;
  family: 4 | 6;
  /** IPv4 network address (host bits cleared); 0 for IPv6. */
  start: number;
  /** IPv6 network address as four words (host bits cleared); all zero for IPv4. */
  words: Uint32Array;
  prefix: number;
  /** The value had host bits set beyond its prefix (they have been cleared). */
  hostBits: boolean;
  /** The value was IPv4-mapped IPv6 and is now IPv4. */
  mapped: boolean;
  /** The value carried an explicit prefix ("/n"). */
  hadPrefix: boolean;
}

export interface CidrSyntaxError {
  ok: false;
  reason: RejectCode;
}

export type CidrSyntax = CidrSyntaxOk | CidrSyntaxError;

function fail(reason: RejectCode): CidrSyntaxError {
  return { ok: false, reason };
}

function v4Code(code: number): RejectCode {
  if (code === V4_OCTET_OUT_OF_RANGE) return 'OCTET_OUT_OF_RANGE';
  if (code === V4_LEADING_ZERO) return 'LEADING_ZERO';
  return 'NOT_AN_ADDRESS';
}

function isDigits(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Prefix text -> length, or -1. Digits (leading zeros allowed) or, for IPv4, a contiguous netmask. */
function parsePrefix(s: string, from: number, to: number, family: 4 | 6): number {
  const max = family === 4 ? 32 : 128;
  if (isDigits(s, from, to)) {
    let v = 0;
    for (let i = from; i < to && v <= max; i++) v = v * 10 + (s.charCodeAt(i) - 48);
    return v <= max ? v : -1;
  }
  if (family === 4) {
    // A netmask (255.255.255.0), else a host mask (0.0.0.255), as Python's ipaddress reads them.
    const mask = parseIPv4(s, from, to);
    if (mask >= 0) {
      const p = netmaskToPrefix(mask);
      return p >= 0 ? p : netmaskToPrefix(~mask >>> 0);
    }
  }
  return -1;
}

/** Parse one value. Never throws. */
export function parseCidrSyntax(value: string): CidrSyntax {
  const s = value.trim(); // String#trim removes all Unicode whitespace, BOM (U+FEFF) and CR included
  if (s.length === 0) return fail('EMPTY');
  const misplaced = locate(s);
  if (misplaced !== null) return fail(misplaced);
  const { from, to, prefixFrom } = span;

  const colon = s.indexOf(':', from);
  const isV6 = colon >= 0 && colon < to;
  const words = new Uint32Array(4);
  let start = 0;
  if (isV6) {
    const bad = parseV6Address(s, from, to, colon, words);
    if (bad !== null) return fail(bad);
  } else {
    const v4 = parseIPv4(s, from, to);
    if (v4 < 0) return fail(v4Code(v4));
    start = v4;
  }

  const family: 4 | 6 = isV6 ? 6 : 4;
  const hadPrefix = prefixFrom >= 0;
  const prefix = hadPrefix ? parsePrefix(s, prefixFrom, s.length, family) : family === 4 ? 32 : 128;
  if (prefix < 0) return fail('BAD_PREFIX');
  return networkOf(family, start, words, prefix, hadPrefix);
}

/** Where locate() found the address [from, to) and the prefix (from prefixFrom, -1 for none); reused. */
const span = { from: 0, to: 0, prefixFrom: -1 };

/** Find the address and prefix of `s` (into `span`); the rejection of a misused bracket or port. */
function locate(s: string): RejectCode | null {
  span.from = 0;
  span.to = s.length;
  span.prefixFrom = -1;
  if (s.charCodeAt(0) !== 91 /* [ */) {
    const slash = s.indexOf('/');
    if (slash >= 0) {
      span.to = slash;
      span.prefixFrom = slash + 1;
    }
    return null;
  }
  const close = s.indexOf(']');
  if (close < 0) return 'NOT_AN_ADDRESS';
  const rest = close + 1;
  if (rest < s.length) {
    const c = s.charCodeAt(rest);
    if (c === 58 /* : */) return isDigits(s, rest + 1, s.length) ? 'PORT_SUFFIX' : 'NOT_AN_ADDRESS';
    if (c !== 47 /* / */) return 'NOT_AN_ADDRESS';
    span.prefixFrom = rest + 1;
  }
  span.from = 1;
  span.to = close;
  const colon = s.indexOf(':', 1);
  if (colon < 0 || colon > close) return 'NOT_AN_ADDRESS'; // brackets are for IPv6
  return null;
}

/** IPv6 text s[from, to) (first colon at `colon`) into `words`; the rejection code when it is not. */
function parseV6Address(s: string, from: number, to: number, colon: number, words: Uint32Array): RejectCode | null {
  const pct = s.indexOf('%', from);
  if (pct >= 0 && pct < to) return 'ZONE_INDEX';
  if (s.indexOf('.', from) >= 0 && s.indexOf('.', from) < colon && s.indexOf(':', colon + 1) < 0) {
    // "a.b.c.d:port" (a dot before the only colon)
    return isDigits(s, colon + 1, to) ? 'PORT_SUFFIX' : 'NOT_AN_ADDRESS';
  }
  const code = parseIPv6(s, from, to, words);
  return code === V6_OK ? null : v4Code(code);
}

/** The result: IPv4-mapped IPv6 made IPv4, host bits beyond the prefix cleared. */
function networkOf(family: 4 | 6, start: number, words: Uint32Array, prefix: number, hadPrefix: boolean): CidrSyntaxOk {
  let mapped = false;
  if (family === 6 && prefix >= 96 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    family = 4;
    mapped = true;
    start = words[3] ?? 0;
    prefix -= 96;
    words.fill(0);
  }
  let hostBits = false;
  if (family === 4) {
    if (prefix < 32) {
      const size = v4BlockSize(prefix);
      const network = start - (start % size);
      hostBits = network !== start;
      start = network;
    }
  } else {
    for (let w = 0; w < 4; w++) {
      const m = hostMaskWord(w, prefix);
      const cur = words[w] ?? 0;
      if ((cur & m) !== 0) {
        hostBits = true;
        words[w] = (cur & ~m) >>> 0;
      }
    }
  }
  return { ok: true, family, start, words, prefix, hostBits, mapped, hadPrefix };
}
