/**
 * The domain vocabulary shared by every room (configuration, sources, pipeline, range engine): the
 * ThreatQ indicator types this service reads. A leaf: imports nothing, so any room may import it
 * (through src/ranges/index.ts) without pulling anything else in.
 */

/** The ThreatQ indicator types the service understands (exact ThreatQ spelling). */
export const INDICATOR_TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'] as const;

/** One of INDICATOR_TYPES. */
export type IndicatorType = (typeof INDICATOR_TYPES)[number];
