/**
 * normalizeCidr: the canonical text of any CIDR (or bare address) text, or null when unparsable.
 * Canonical = what this service sends to Graph: IPv4 dotted quad, IPv6 in RFC 5952 form, always with a
 * prefix, host bits cleared, IPv4-mapped IPv6 as IPv4. Used to compare Graph's echo
 * ("2001:0:9d38:90d6:0:0:0:0/63") with what we want ("2001:0:9d38:90d6::/63").
 */
import { parseCidrSyntax, type CidrSyntaxOk } from './cidr-syntax.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6 } from './ipv6-text.ts';

export function formatCidr(p: CidrSyntaxOk): string {
  if (p.family === 4) return formatIPv4Cidr(p.start, p.prefix);
  const w = p.words;
  return `${formatIPv6(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0)}/${p.prefix}`;
}

export function normalizeCidr(text: string): string | null {
  const p = parseCidrSyntax(text);
  return p.ok ? formatCidr(p) : null;
}
