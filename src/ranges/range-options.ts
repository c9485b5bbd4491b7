/**
 * Options of the range engine's policy checks (safety.* in the configuration), with the one set of
 * defaults every entry point uses (the configuration schema, `ranges merge`, the corpus tests). The
 * ThreatQ types the engine understands are in domain-types.ts.
 *
 * Floors (the broadest prefix accepted; anything broader is refused as PREFIX_TOO_BROAD):
 * - Microsoft's limit is /8 in both families: Terraform's azuread provider enforces `/8` allowed, `/7`
 *   refused, but Microsoft's own wording is "Only CIDR masks greater than /8 are allowed", so a /8 may be
 *   refused by Graph and fail a whole location write. GRAPH_MIN_PREFIX (8) is the hard limit the
 *   configuration cannot go below.
 * - Default IPv4 /9: one step inside Microsoft's wording, so Graph surely accepts it, and still far broader
 *   than any real block list needs (Spamhaus DROP's broadest IPv4 entry is a /12; a 2015 copy had a /10).
 * - Default IPv6 /24: the IPv6 floor used to default to the technical /8, so `2001::/8` became 25 blocked
 *   ranges without a word. Spamhaus DROPv6's broadest entry is a /29 and RIRs allocate at most about a /12
 *   to a single holder only exceptionally (a typical LIR allocation is /29 - /32); /24 leaves room for a
 *   whole large provider while refusing anything that amounts to a region of the Internet.
 *
 * "Very broad" thresholds (a warning, not a refusal): a range accepted under the floor but broader than
 * these is named in `plan` output and in the reconcile run's warnings, because no real feed we know of
 * needs it: broader than /12 (IPv4) and /29 (IPv6), the broadest entries of Spamhaus DROP and DROPv6.
 */
export interface RangeOptions {
  /** Refuse IPv4 CIDRs broader than this prefix (PREFIX_TOO_BROAD). 0 disables the floor. */
  minPrefixV4: number;
  /** Refuse IPv6 CIDRs broader than this prefix (PREFIX_TOO_BROAD). 0 disables the floor. */
  minPrefixV6: number;
  /** Keep reserved and special-purpose space instead of refusing it (RESERVED). */
  allowReserved: boolean;
}

/** Microsoft's limit in both families: no prefix broader than /8 (the configuration cannot go below it). */
export const GRAPH_MIN_PREFIX = 8;
/** Default broadest IPv4 prefix accepted (safety.minPrefixV4). */
export const DEFAULT_MIN_PREFIX_V4 = 9;
/** Default broadest IPv6 prefix accepted (safety.minPrefixV6). */
export const DEFAULT_MIN_PREFIX_V6 = 24;
/** Default "very broad" IPv4 threshold: warn about accepted ranges broader than /12 (safety.warnBroaderThanV4). */
export const DEFAULT_WARN_BROADER_THAN_V4 = 12;
/** Default "very broad" IPv6 threshold: warn about accepted ranges broader than /29 (safety.warnBroaderThanV6). */
export const DEFAULT_WARN_BROADER_THAN_V6 = 29;

/** The configuration defaults (safety.minPrefixV4 = 9, safety.minPrefixV6 = 24, allowReserved = false). */
export const DEFAULT_RANGE_OPTIONS: Readonly<RangeOptions> = Object.freeze({
  minPrefixV4: DEFAULT_MIN_PREFIX_V4,
  minPrefixV6: DEFAULT_MIN_PREFIX_V6,
  allowReserved: false,
});
