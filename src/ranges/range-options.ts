/**
 * Options of the range engine's policy checks (safety.* in the configuration) and the ThreatQ types the
 * engine understands.
 */
export type { IndicatorType } from '../sources/source-types.ts';

export interface RangeOptions {
  /** Refuse IPv4 CIDRs broader than this prefix (PREFIX_TOO_BROAD). 0 disables the floor. */
  minPrefixV4: number;
  /** Refuse IPv6 CIDRs broader than this prefix (PREFIX_TOO_BROAD). 0 disables the floor. */
  minPrefixV6: number;
  /** Keep reserved and special-purpose space instead of refusing it (RESERVED). */
  allowReserved: boolean;
}

/** The configuration defaults (safety.minPrefixV4/V6 = 8, allowReserved = false). */
export const DEFAULT_RANGE_OPTIONS: Readonly<RangeOptions> = Object.freeze({ minPrefixV4: 8, minPrefixV6: 8, allowReserved: false });
