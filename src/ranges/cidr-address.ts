/**
 * Graph's `cidrAddress` grammar, on top of the range engine (src/ranges owns CIDR text).
 *
 * Graph takes `address/prefix` only (a bare address is refused), in the family the `@odata.type`
 * names: `iPv4CidrRange` or `iPv6CidrRange`, so an IPv4-mapped IPv6 range stays IPv6 here, read as
 * written (parseWrittenCidr), not unmapped as normalizeCidr does. Graph echoes `cidrAddress` exactly as
 * sent, so comparisons of ranges go through the range engine's normalizeCidr / sameCidrs, never through
 * this module. Used by the Graph client to pick the range type and by the Graph emulator to validate
 * `cidrAddress` (rules NL3, NL4, NL5, NL10). Pure.
 */
import { parseWrittenCidr, type WrittenCidr } from './written-cidr.ts';

/** A cidrAddress Graph would take: family as written, prefix, first and last address. */
export type ParsedCidr = WrittenCidr;

/** Parse `addr/len`; undefined when it is not a CIDR of either family (bare IPs are not CIDRs). */
export function parseCidr(text: string): ParsedCidr | undefined {
  const c = parseWrittenCidr(text);
  return c?.hadPrefix ? c : undefined;
}

/** Do two ranges share any address? */
export function cidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}
