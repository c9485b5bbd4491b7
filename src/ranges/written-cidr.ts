/**
 * parseWrittenCidr: CIDR text in its plain written form, read as written, for checking text another
 * system will read back (Graph's `cidrAddress`, src/ranges/cidr-address.ts). Unlike normalizeCidr it keeps
 * the family as written (IPv4-mapped IPv6 `::ffff:1.2.3.4/128` stays an IPv6 /128) and accepts only
 * plain text: an IPv4 or IPv6 address (cidr-syntax.ts rules) and an optional decimal prefix of 1-3
 * digits; no surrounding whitespace, brackets, zone index or netmask. The range's first and last
 * addresses come as numbers (host bits cleared), for overlap checks. Pure; never throws.
 */
import { parseCidrSyntax } from './cidr-syntax.ts';
import { wordsToBigInt } from './ipv6-text.ts';

export interface WrittenCidr {
  /** The family as written (IPv4-mapped IPv6 is 6). */
  family: 4 | 6;
  /** The prefix as written (/32 or /128 when there was none). */
  prefix: number;
  /** The text carried an explicit "/prefix". */
  hadPrefix: boolean;
  /** First address of the range (host bits cleared), in the written family's number space. */
  first: bigint;
  /** Last address of the range. */
  last: bigint;
}

const PLAIN = /^[0-9A-Fa-f:.]+(?:\/\d{1,3})?$/;
const MAPPED_BASE = 0xffffn << 32n;

export function parseWrittenCidr(text: string): WrittenCidr | undefined {
  if (!PLAIN.test(text)) return undefined;
  const syn = parseCidrSyntax(text);
  if (!syn.ok) return undefined;
  const { hadPrefix } = syn;
  if (syn.mapped) return withBounds(6, syn.prefix + 96, MAPPED_BASE | BigInt(syn.start), hadPrefix);
  if (syn.family === 4) return withBounds(4, syn.prefix, BigInt(syn.start), hadPrefix);
  const w = syn.words;
  return withBounds(6, syn.prefix, wordsToBigInt(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0), hadPrefix);
}

function withBounds(family: 4 | 6, prefix: number, first: bigint, hadPrefix: boolean): WrittenCidr {
  const hostBits = BigInt((family === 4 ? 32 : 128) - prefix);
  return { family, prefix, hadPrefix, first, last: first | ((1n << hostBits) - 1n) };
}
