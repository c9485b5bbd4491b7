/**
 * whitelistRanges(values): a whitelist (values that must never be blocked, e.g. ThreatQ's Whitelisted
 * IP indicators) as the minimal canonical CIDRs covering it, IPv4 ascending then IPv6, and the values
 * refused, by reason code. A whitelist entry only ever removes ranges from a block list, so the
 * blocking policy does not apply: reserved and special-purpose space is kept and the configured floors
 * (safety.minPrefixV4/V6) do not apply. One bound stays: an entry broader than GRAPH_MIN_PREFIX (/8,
 * e.g. 0.0.0.0/0) is refused as PREFIX_TOO_BROAD, because one such value would unblock a whole region
 * of the Internet (with /0 every range of its family) without a word; it is counted and reported
 * instead. Malformed values are refused with their syntax codes. The type is not asked for: the value
 * decides. Never throws.
 */
import { parseIndicator } from './parse-indicator.ts';
import { GRAPH_MIN_PREFIX, type RangeOptions } from './range-options.ts';
import type { RejectCode } from './reason-codes.ts';
import { storeOf } from './numeric-cidr.ts';

/** How whitelist values are read: no reserved-space refusal, only the Graph floor /8. */
export const WHITELIST_RANGE_OPTIONS: Readonly<RangeOptions> = Object.freeze({
  minPrefixV4: GRAPH_MIN_PREFIX,
  minPrefixV6: GRAPH_MIN_PREFIX,
  allowReserved: true,
});

export interface WhitelistRanges {
  /** Minimal canonical CIDRs covering every accepted value. */
  cidrs: string[];
  /** Values accepted (before merging). */
  accepted: number;
  /** Values refused, by reason code. */
  rejected: Partial<Record<RejectCode, number>>;
}

export function whitelistRanges(values: Iterable<string>): WhitelistRanges {
  const kept: string[] = [];
  const rejected: Partial<Record<RejectCode, number>> = {};
  let accepted = 0;
  for (const v of values) {
    const r = parseIndicator(v, undefined, WHITELIST_RANGE_OPTIONS);
    if (!r.ok) {
      rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
      continue;
    }
    accepted += 1;
    for (const c of r.cidrs) kept.push(c);
  }
  return { cidrs: storeOf(kept).toCidrs(), accepted, rejected };
}
