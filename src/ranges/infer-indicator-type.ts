/**
 * inferIndicatorType: the ThreatQ type a bare value (a file line, no type given) looks like, by the
 * range engine's own syntax rules (cidr-syntax.ts): `CIDR Block` when it carries a prefix, else
 * `IP Address` or `IPv6 Address` by the family as written (IPv4-mapped IPv6 is an IPv6 address). A
 * value that is not an address or CIDR has no type; its syntax rejection code comes with it, so the
 * caller can tell words and paths (NOT_AN_ADDRESS) from mistyped addresses without parsing twice.
 * Pure; never throws.
 */
import { parseCidrSyntax } from './cidr-syntax.ts';
import type { IndicatorType } from './domain-types.ts';
import type { RejectCode } from './reason-codes.ts';

export type InferredType = { type: IndicatorType; reason?: undefined } | { type: undefined; reason: RejectCode };

export function inferIndicatorType(value: string): InferredType {
  const syn = parseCidrSyntax(value);
  if (!syn.ok) return { type: undefined, reason: syn.reason };
  if (syn.hadPrefix) return { type: 'CIDR Block' };
  return { type: syn.family === 4 && !syn.mapped ? 'IP Address' : 'IPv6 Address' };
}
