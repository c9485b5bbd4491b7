/**
 * The range engine's public API (pure, no I/O), and the only way other rooms reach it (an ESLint rule
 * forbids imports of src/ranges/* from outside it, except this file). It owns CIDR text and indicator
 * lines: read lines, parse, validate, classify, merge, subtract, compare. Exported is what other rooms
 * use, nothing more; see each module's header for the exact rules, reason codes in reason-codes.ts.
 * The range engine imports nothing from other rooms except src/errors.
 */
// Domain vocabulary shared by every room.
export { INDICATOR_TYPES } from './domain-types.ts';
export type { IndicatorType } from './domain-types.ts';

// Policy options, their defaults and limits (the configuration schema, `ranges merge`).
export {
  DEFAULT_MIN_PREFIX_V4,
  DEFAULT_MIN_PREFIX_V6,
  DEFAULT_RANGE_OPTIONS,
  DEFAULT_WARN_BROADER_THAN_V4,
  DEFAULT_WARN_BROADER_THAN_V6,
  GRAPH_MIN_PREFIX,
} from './range-options.ts';
export type { RangeOptions } from './range-options.ts';
export { REJECT_CODES, WARNING_CODE_LIST, isRejectCode, isWarningCode } from './reason-codes.ts';
export type { RejectCode, WarningCode } from './reason-codes.ts';
export { InvalidCidrError } from './errors/invalid-cidr-error.ts';

// CIDR text: canonical form, comparison, Graph's written form.
export { normalizeCidr } from './normalize-cidr.ts';
export { sameCidrs } from './same-cidrs.ts';
export { compareCidrs, sortCidrs } from './compare-cidrs.ts';
export { printableText } from './printable-text.ts';
export { parseCidr, cidrsOverlap } from './cidr-address.ts';
export type { ParsedCidr } from './cidr-address.ts';

// Indicator values and lines (ingest, the file source, `ranges merge`, `plan --indicators`).
export { parseIndicator } from './parse-indicator.ts';
export { inferIndicatorType } from './infer-indicator-type.ts';
export { IndicatorValueReader, indicatorValuesOf } from './indicator-lines.ts';
export type { LineEncoding } from './indicator-lines.ts';
export { RangeAccumulator } from './range-accumulator.ts';
export type { CodeTally } from './range-accumulator.ts';
export { IndicatorMerge } from './indicator-merge.ts';

// Set operations on CIDR lists and numeric stores.
export { mergeCidrs } from './merge-cidrs.ts';
export { detachedCidr, mergeWeighted, WeightedMerge } from './merge-weighted.ts';
export type { MergedWeighted } from './merge-weighted.ts';
export { subtractCidrs } from './subtract-cidrs.ts';
export { enclosingCidrLookup } from './enclosing-cidr.ts';
export type { EnclosingCidrLookup } from './enclosing-cidr.ts';
export { subtractEach } from './subtract-each.ts';
export { whitelistRanges } from './whitelist-ranges.ts';
export type { WhitelistRanges } from './whitelist-ranges.ts';
export { splitBroaderThan, serviceSplitFloors } from './split-broader-than.ts';
export type { CidrStore } from './cidr-store.ts';
export { storeOf } from './numeric-cidr.ts';
export { cidrLineChunks } from './cidr-line-chunks.ts';

// "Is this value inside those ranges?" (write-back: which indicators a target enforces).
export { CoverIndex } from './cover-index.ts';
