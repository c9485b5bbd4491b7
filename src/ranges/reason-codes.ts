/**
 * The one table of reason codes the range engine reports: rejections (the indicator is not used) and
 * warnings (the indicator is used, but something about it was corrected or is worth knowing).
 *
 * Codes are stable strings: reports, metrics and tests key on them, never on the messages. The tables are
 * plain data so the README, the CLI and run reports can print them. Parsing never throws out of a batch:
 * every bad value becomes exactly one rejection code, checked in the order the table lists them.
 */

export const REJECT_REASONS = {
  EMPTY: 'the value is empty (or only whitespace)',
  NOT_AN_ADDRESS: 'not an IPv4 or IPv6 address or CIDR (hostnames, ranges "a-b", wildcards and other shapes are not accepted)',
  OCTET_OUT_OF_RANGE: 'an IPv4 octet is above 255',
  LEADING_ZERO: 'an IPv4 octet has a leading zero (ambiguous: some tools read it as octal)',
  ZONE_INDEX: 'an IPv6 zone index ("%eth0") is only meaningful on one host',
  PORT_SUFFIX: 'the value carries a port (":443"); give the address alone',
  BAD_PREFIX: 'the prefix length is not an integer in 0-32 (IPv4) or 0-128 (IPv6), nor a contiguous IPv4 netmask or host mask',
  PREFIX_TOO_BROAD: 'the prefix is broader than the configured floor (safety.minPrefixV4 / safety.minPrefixV6)',
  RESERVED: 'the range lies entirely in reserved or special-purpose space (IANA special-purpose registries, multicast)',
} as const satisfies Record<string, string>;

export type RejectCode = keyof typeof REJECT_REASONS;

export const WARNING_CODES = {
  HOST_BITS_CLEARED: 'the CIDR had host bits set; they were cleared ("10.0.0.5/24" means 10.0.0.0/24)',
  TYPE_MISMATCH: 'the value contradicts its ThreatQ type (e.g. an IPv6 value typed "IP Address", or a range typed as an address); classified by the value',
  IPV4_MAPPED: 'an IPv4-mapped IPv6 value (::ffff:a.b.c.d) was converted to the IPv4 range',
  RESERVED_PART_REMOVED: 'the CIDR partly overlapped reserved space; only its public part is kept',
} as const satisfies Record<string, string>;

export type WarningCode = keyof typeof WARNING_CODES;

/** Every rejection code, in table order (also the order checks are made in). */
export const REJECT_CODES = Object.keys(REJECT_REASONS) as RejectCode[];

/** Every warning code, in table order. */
export const WARNING_CODE_LIST = Object.keys(WARNING_CODES) as WarningCode[];

export function isRejectCode(value: string): value is RejectCode {
  return Object.prototype.hasOwnProperty.call(REJECT_REASONS, value);
}

export function isWarningCode(value: string): value is WarningCode {
  return Object.prototype.hasOwnProperty.call(WARNING_CODES, value);
}

/** The reason-code table as Markdown (README, docs): `| code | kind | meaning |`. */
export function reasonCodesMarkdown(): string {
  const rows = [
    '| code | kind | meaning |',
    '|---|---|---|',
    ...REJECT_CODES.map((c) => `| \`${c}\` | rejected | ${REJECT_REASONS[c]} |`),
    ...WARNING_CODE_LIST.map((c) => `| \`${c}\` | warning | ${WARNING_CODES[c]} |`),
  ];
  return rows.join('\n');
}
