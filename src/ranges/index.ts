/**
 * The range engine's public API (pure, no I/O): parse, validate, classify, merge, subtract, diff.
 * See each module's header for the exact rules; reason codes are in reason-codes.ts.
 */
export { REJECT_REASONS, WARNING_CODES, REJECT_CODES, WARNING_CODE_LIST, reasonCodesMarkdown, isRejectCode, isWarningCode } from './reason-codes.ts';
export type { RejectCode, WarningCode } from './reason-codes.ts';
export { DEFAULT_RANGE_OPTIONS } from './range-options.ts';
export type { RangeOptions, IndicatorType } from './range-options.ts';
export { parseIndicator } from './parse-indicator.ts';
export type { ParseOutcome } from './parse-indicator.ts';
export { RangeAccumulator } from './range-accumulator.ts';
export type { CodeTally, RangeAccumulatorSettings } from './range-accumulator.ts';
export { mergeCidrs } from './merge-cidrs.ts';
export { subtractCidrs } from './subtract-cidrs.ts';
export { diffCidrs } from './diff-cidrs.ts';
export type { CidrDiff } from './diff-cidrs.ts';
export { compareCidrs, sortCidrs } from './compare-cidrs.ts';
export { normalizeCidr } from './normalize-cidr.ts';
export { mergeWeighted } from './merge-weighted.ts';
export type { WeightedCidr } from './merge-weighted.ts';
export { splitBroaderThan } from './split-broader-than.ts';
export { InvalidCidrError } from './invalid-cidr-error.ts';
export { IPV4_SPECIAL_PURPOSE, IPV6_SPECIAL_PURPOSE } from './special-purpose-ranges.ts';
export type { SpecialPurposeEntry } from './special-purpose-ranges.ts';
