/**
 * parseIndicator: one indicator value (and its ThreatQ type when known) -> canonical CIDR text, or a
 * rejection with a stable reason code and a human message. Never throws.
 *
 * The syntax rules are in cidr-syntax.ts, the policy (type, floor, reserved) in classify-range.ts, the
 * codes in reason-codes.ts. For many values use RangeAccumulator (same rules, no per-value objects).
 */
import { parseCidrSyntax } from './cidr-syntax.ts';
import { classifyRange } from './classify-range.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6 } from './ipv6-text.ts';
import { REJECT_REASONS, type RejectCode, type WarningCode } from './reason-codes.ts';
import type { IndicatorType } from './domain-types.ts';
import type { RangeOptions } from './range-options.ts';

export type ParseOutcome =
  | { ok: true; cidrs: string[]; family: 4 | 6; warnings: WarningCode[] }
  | { ok: false; reason: RejectCode; message: string };

/** Show a value in a message: quoted, control characters escaped, long values cut. */
export function quoteValue(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}

export function rejectMessage(value: string, reason: RejectCode, detail = ''): string {
  return `${quoteValue(value)}: ${REJECT_REASONS[reason]}${detail ? ` (${detail})` : ''}`;
}

export function parseIndicator(value: string, type: IndicatorType | undefined, options: RangeOptions): ParseOutcome {
  const syn = parseCidrSyntax(value);
  if (!syn.ok) return { ok: false, reason: syn.reason, message: rejectMessage(value, syn.reason) };
  const c = classifyRange(syn, type, options);
  if (!c.ok) return { ok: false, reason: c.reason, message: rejectMessage(value, c.reason, c.detail) };
  const cidrs: string[] = [];
  for (let i = 0; i < c.v4.length; i += 2) cidrs.push(formatIPv4Cidr(c.v4[i] ?? 0, c.v4[i + 1] ?? 0));
  for (let i = 0; i < c.v6.length; i += 5) {
    cidrs.push(`${formatIPv6(c.v6[i] ?? 0, c.v6[i + 1] ?? 0, c.v6[i + 2] ?? 0, c.v6[i + 3] ?? 0)}/${c.v6[i + 4] ?? 0}`);
  }
  return { ok: true, cidrs, family: c.family, warnings: c.warnings };
}
