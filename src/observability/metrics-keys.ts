/**
 * The Redis layout of the cluster-wide service metrics, shared by the writer (metrics-store.ts) and
 * the reader (metrics-export.ts). Everything lives in a handful of hashes under `<prefix>:metrics:`,
 * so cardinality is bounded by the configuration (sources × collections × reasons, targets ×
 * locations, …), never by traffic. Hash fields are JSON arrays of label values, which needs no
 * escaping rules of its own and survives any character in a source or location name.
 *
 *   <prefix>:metrics:indicators       ["source","collection","accepted"|"rejected"|"filtered"|"whitelisted","reason"] → count
 *   <prefix>:metrics:graph_requests   ["target","METHOD","status"]                          → count
 *   <prefix>:metrics:graph_throttled  ["target","count"|"ms"]                               → count / ms
 *   <prefix>:metrics:throttle_delays  ["target","count"|"ms"]                               → jobs / ms delayed
 *                                     because Graph throttled the target's tenant through every attempt
 *   <prefix>:metrics:threatq_writes   ["source","METHOD","status"]                          → count (write-back)
 *   <prefix>:metrics:runs             ["kind","outcome"]                                    → count
 *   <prefix>:metrics:safety_alerts    ["target","check"]                                    → count (What If
 *                                     surprises on an enforced policy: emergency, neverBlock, canary)
 *   <prefix>:metrics:notifications    ["kind","outcome"]  (webhook|slack|teams; sent|retried|failed|suppressed) → count
 *   <prefix>:metrics:run_duration     ["kind","bucket","<le>"] | ["kind","sum_ms"] | ["kind","count"]
 *                                     (per-bucket, non-cumulative counts; the export accumulates)
 *   <prefix>:metrics:targets          "target" → JSON TargetState (a gauge: overwritten each time)
 *   <prefix>:metrics:last_success     "target" → epoch milliseconds of the last successful reconcile
 *   <prefix>:metrics:throttle_streak  "tenant id" → 429s in a row now (a gauge; written by graph-pacer.ts)
 *   <prefix>:metrics:once:<kind>      sorted set of recent idempotency ids of one kind (indicators,
 *                                     graph_requests, runs, throttle_delays, threatq_writes, notifications), scored by time, capped
 */
export interface MetricKeys {
  indicators: string;
  graphRequests: string;
  graphThrottled: string;
  throttleDelays: string;
  threatqWrites: string;
  runs: string;
  safetyAlerts: string;
  notifications: string;
  runDuration: string;
  targets: string;
  lastSuccess: string;
  throttleStreak: string;
  /** The dedup set of one kind of event (metrics-store.ts trims it). */
  once(kind: string): string;
}

export function metricKeys(prefix: string): MetricKeys {
  const base = `${prefix}:metrics`;
  return Object.freeze({
    indicators: `${base}:indicators`,
    graphRequests: `${base}:graph_requests`,
    graphThrottled: `${base}:graph_throttled`,
    throttleDelays: `${base}:throttle_delays`,
    threatqWrites: `${base}:threatq_writes`,
    runs: `${base}:runs`,
    safetyAlerts: `${base}:safety_alerts`,
    notifications: `${base}:notifications`,
    runDuration: `${base}:run_duration`,
    targets: `${base}:targets`,
    lastSuccess: `${base}:last_success`,
    throttleStreak: `${base}:throttle_streak`,
    once: (kind: string) => `${base}:once:${kind}`,
  });
}

/** Upper bounds (seconds) of the run duration histogram buckets; +Inf is implied. */
export const RUN_DURATION_BUCKETS: readonly number[] = Object.freeze([0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]);

/** The bucket label (`le`) a duration falls into: the smallest bound that holds it, else "+Inf". */
export function durationBucket(seconds: number): string {
  for (const b of RUN_DURATION_BUCKETS) if (seconds <= b) return String(b);
  return '+Inf';
}

/** Encode label values as a hash field. */
export function encodeField(parts: readonly string[]): string {
  return JSON.stringify(parts);
}

/** Decode a hash field written by encodeField; undefined when it is not an array of `arity` strings. */
export function decodeField(field: string, arity: number): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(field);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== arity || !parsed.every((p) => typeof p === 'string')) return undefined;
  return parsed as string[];
}

/** What recordTargetState stores for one target. */
export interface TargetState {
  maxLocations: number;
  maxRangesPerLocation: number;
  locations: { name: string; ranges: number }[];
  /** When this state was recorded (epoch ms). */
  recordedAt: number;
}
