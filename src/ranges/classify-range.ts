/**
 * Policy applied to a syntactically valid CIDR (cidr-syntax.ts): ThreatQ type agreement, the prefix
 * floor and reserved space. Shared by parseIndicator (text out) and RangeAccumulator's slow path
 * (numbers out), so both apply exactly the same rules in the same order:
 *   1. type: an IPv6 value typed "IP Address", an IPv4 value typed "IPv6 Address", or a range (prefix
 *      shorter than /32 or /128) typed as an address -> TYPE_MISMATCH warning, classified by the value;
 *   2. prefix floor -> PREFIX_TOO_BROAD;
 *   3. host bits were set -> HOST_BITS_CLEARED warning; IPv4-mapped -> IPV4_MAPPED warning;
 *   4. unless allowReserved: wholly reserved -> RESERVED; partly -> only the public part is kept
 *      (RESERVED_PART_REMOVED warning). Warnings are reported only for accepted values.
 */
import type { CidrSyntaxOk } from './cidr-syntax.ts';
import type { RejectCode, WarningCode } from './reason-codes.ts';
import type { IndicatorType } from './domain-types.ts';
import type { RangeOptions } from './range-options.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { bigIntToWords, formatIPv6, wordsToBigInt } from './ipv6-text.ts';
import {
  PARTLY_RESERVED,
  PUBLIC,
  WHOLLY_RESERVED,
  publicPartsV4,
  publicPartsV6,
  reservedEntryV4,
  reservedEntryV6,
  reservedStateV4,
  reservedStateV6,
} from './reserved-space.ts';

export interface ClassifiedOk {
  ok: true;
  family: 4 | 6;
  /** IPv4 blocks, flat [start, prefix, ...] (empty for IPv6). */
  v4: number[];
  /** IPv6 blocks, flat [w0, w1, w2, w3, prefix, ...] (empty for IPv4). */
  v6: number[];
  warnings: WarningCode[];
}

export interface ClassifiedReject {
  ok: false;
  reason: RejectCode;
  /** Extra words for the human message ("/4 is broader than the floor /8"). */
  detail: string;
}

export type Classified = ClassifiedOk | ClassifiedReject;

export function classifyRange(syn: CidrSyntaxOk, type: IndicatorType | undefined, options: RangeOptions): Classified {
  const { family, prefix } = syn;
  const warnings: WarningCode[] = [];
  const max = family === 4 ? 32 : 128;
  if (type !== undefined && !syn.mapped) {
    const familyClash = (type === 'IP Address' && family === 6) || (type === 'IPv6 Address' && family === 4);
    const rangeAsAddress = type !== 'CIDR Block' && prefix < max;
    if (familyClash || rangeAsAddress) warnings.push('TYPE_MISMATCH');
  }
  const floor = family === 4 ? options.minPrefixV4 : options.minPrefixV6;
  if (prefix < floor) {
    return { ok: false, reason: 'PREFIX_TOO_BROAD', detail: `/${prefix} is broader than the IPv${family} floor /${floor}` };
  }
  if (syn.hostBits) warnings.push('HOST_BITS_CLEARED');
  if (syn.mapped) warnings.push('IPV4_MAPPED');

  if (family === 4) {
    let v4 = [syn.start, prefix];
    if (!options.allowReserved) {
      const state = reservedStateV4(syn.start, prefix);
      if (state !== PUBLIC) {
        v4 = state === PARTLY_RESERVED ? publicPartsV4(syn.start, prefix) : [];
        if (v4.length === 0) return { ok: false, reason: 'RESERVED', detail: reservedDetailV4(syn.start, prefix) };
        warnings.push('RESERVED_PART_REMOVED');
      }
    }
    return { ok: true, family, v4, v6: [], warnings };
  }

  const w = syn.words;
  const [w0, w1, w2, w3] = [w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0];
  let v6 = [w0, w1, w2, w3, prefix];
  if (!options.allowReserved) {
    const state = reservedStateV6(w0, w1, w2, w3, prefix);
    if (state !== PUBLIC) {
      const start = wordsToBigInt(w0, w1, w2, w3);
      const parts = state === WHOLLY_RESERVED ? [] : publicPartsV6(start, prefix);
      if (parts.length === 0) return { ok: false, reason: 'RESERVED', detail: reservedDetailV6(start, prefix) };
      v6 = [];
      const tmp = [0, 0, 0, 0];
      for (const [s, p] of parts) {
        bigIntToWords(s, tmp);
        v6.push(tmp[0] ?? 0, tmp[1] ?? 0, tmp[2] ?? 0, tmp[3] ?? 0, p);
      }
      warnings.push('RESERVED_PART_REMOVED');
    }
  }
  return { ok: true, family, v4: [], v6, warnings };
}

function reservedDetailV4(start: number, prefix: number): string {
  const e = reservedEntryV4(start, prefix);
  const what = formatIPv4Cidr(start, prefix);
  return e ? `${what} lies in ${e.cidr} ${e.name} (${e.rfc})` : `${what} lies in reserved space`;
}

function reservedDetailV6(start: bigint, prefix: number): string {
  const e = reservedEntryV6(start, prefix);
  const w = [0, 0, 0, 0];
  bigIntToWords(start, w);
  const what = `${formatIPv6(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0)}/${prefix}`;
  return e ? `${what} lies in ${e.cidr} ${e.name} (${e.rfc})` : `${what} lies in reserved space`;
}
