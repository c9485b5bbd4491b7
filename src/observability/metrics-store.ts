/**
 * Cluster-wide service metrics, kept in Redis so that they add up across every worker replica: the
 * process that did the work records it, the dashboard's `/metrics` exports it (metrics-export.ts).
 * Layout and field encoding: metrics-keys.ts. Each call is one atomic round trip (a small Lua script
 * of HINCRBYs, or a MULTI for the gauges): cheap enough to call from every job.
 *
 * Counters are at-least-once like the jobs that feed them. Pass `once` (a stable id of the event,
 * e.g. `${runId}:${chunk}` or `${jobId}:${attempt}`) to make a call idempotent: a repeated call with
 * the same id records nothing and resolves false. Without it a retried job counts again. The ids are
 * remembered in one sorted set per kind (`metrics:once:<kind>`, scored by time), trimmed on every
 * call to the last ONCE_WINDOW_MS and at most ONCE_MAX_IDS ids: a retry comes within minutes, and
 * the state stays the same size however many runs go by (at most ~0.5 MB per kind).
 *
 * Recording never carries secrets: only source, collection, target and location names,
 * reason codes and numbers. Invalid input (negative or fractional counts, empty names, a malformed
 * "METHOD status" key; `METHOD ERR` is well-formed: a request that got no response) throws MetricsInputError naming the field; callers that must not fail a job
 * because of metrics should catch and log (`.catch(…)`), as Redis errors propagate too.
 */
import type { Cluster, Redis } from 'ioredis';

/** One Redis or a Redis Cluster (the connections src/redis/redis-connection.ts makes). */
type RedisClient = Redis | Cluster;
import { MetricsInputError } from './errors/metrics-input-error.ts';
import { durationBucket, encodeField, metricKeys, type TargetState } from './metrics-keys.ts';

/** How long an idempotency id (`once`) is remembered at most. */
export const ONCE_WINDOW_MS = 24 * 3600 * 1000;
/** How many idempotency ids are remembered per kind at most (the oldest go first). */
export const ONCE_MAX_IDS = 5000;

/** The clock of the `once` window (tests simulate hours passing). */
export const metricsClock = { now: (): number => Date.now() };

export interface IndicatorCounts {
  source: string;
  collection: string;
  accepted: number;
  /** Reason code (e.g. RESERVED) → number of indicators refused for it. */
  rejectedByReason: Record<string, number>;
  once?: string;
}

/** What a source collection's collect attempt left out of the block list. */
export interface FilteredCounts {
  source: string;
  collection: string;
  /**
   * Reason (`type:FQDN`, `status:Expired`, `score:below-6`, `score:none`, `age:older-than-90d`,
   * `age:unknown`, …) → indicators filtered out for it by the source (never an error).
   */
  filteredByReason: Record<string, number>;
  /** Whitelist entries read (ThreatQ's whitelist: never blocked). */
  whitelisted?: number;
  once?: string;
}

export interface GraphRequestCounts {
  target: string;
  /**
   * "GET 200", "PATCH 204", "POST 429", … → number of requests. The status class `ERR` ("GET ERR")
   * counts requests that got no HTTP response at all (connection refused or reset, TLS failure,
   * timeout), as graph-request.ts records them; it is exported as `status="ERR"`.
   */
  byMethodStatus: Record<string, number>;
  /** Responses with status 429. */
  throttled: number;
  /** Total time waited because of those 429s. */
  throttledMs: number;
  once?: string;
}

/** ThreatQ write-back requests of a source, by "METHOD status" ("POST 201", "DELETE 404", "POST ERR"). */
export interface ThreatQWriteCounts {
  source: string;
  byMethodStatus: Record<string, number>;
  once?: string;
}

export type RunKind = 'collect' | 'reconcile' | 'writeback';
export type RunOutcome = 'succeeded' | 'failed' | 'refused';

export interface RunObservation {
  kind: RunKind;
  outcome: RunOutcome;
  durationMs: number;
  once?: string;
}

export interface TargetStateInput {
  target: string;
  maxLocations: number;
  maxRangesPerLocation: number;
  locations: readonly { name: string; ranges: number }[];
  /** ISO time of the reconcile that just succeeded (omit after a failed one: the last success stays). */
  lastSuccessAt?: string;
}

/** A target's job delayed because Graph kept throttling its tenant (workers/job-signals.ts), and for how long. */
export interface ThrottleDelay {
  target: string;
  ms: number;
  once?: string;
}

const RUN_KINDS: readonly string[] = ['collect', 'reconcile', 'writeback'];
const RUN_OUTCOMES: readonly string[] = ['succeeded', 'failed', 'refused'];
/** "METHOD status": an HTTP status, `ERR` (no response: a network error), or a lower-case class word. */
const METHOD_STATUS = /^([A-Z]{3,7}) ([0-9]{3}|ERR|[a-z_]{1,20})$/;

/**
 * KEYS: [onceSet?] + hashes. ARGV[1]: '1' with a once id, else '0'; ARGV[2..5]: once id, now (ms),
 * window (ms), max ids; then triples of (hash index, 1-based among the hashes; field; increment).
 */
const INCREMENT_SCRIPT = `
local offset = 0
if ARGV[1] == '1' then
  if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
  local now = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[4])))
  local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  offset = 1
end
for i = 6, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[tonumber(ARGV[i]) + offset], ARGV[i + 1], ARGV[i + 2])
end
return 1
`;

/** KEYS[1]: hash; ARGV: field, epoch ms. Keeps the latest value (a late retry never moves it back). */
const MAX_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or tonumber(cur) < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`;

type Increment = [hashIndex: number, field: string, by: number];

/** `once`: the kind's dedup set and the event id. */
async function increment(redis: RedisClient, hashes: readonly string[], incs: readonly Increment[], once: { key: string; id: string } | undefined): Promise<boolean> {
  if (incs.length === 0) return false;
  const keys = once === undefined ? [...hashes] : [once.key, ...hashes];
  const args: (string | number)[] =
    once === undefined ? ['0', '', 0, 0, 0] : ['1', once.id, Math.round(metricsClock.now()), ONCE_WINDOW_MS, ONCE_MAX_IDS];
  for (const [i, field, by] of incs) args.push(i + 1, field, by);
  const done = await redis.eval(INCREMENT_SCRIPT, keys.length, ...keys, ...args);
  return done === 1;
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new MetricsInputError(`${field}: expected a non-empty string, got ${JSON.stringify(value)}`, { field });
  }
  return value;
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MetricsInputError(`${field}: expected a non-negative integer, got ${JSON.stringify(value)}`, { field });
  }
  return value;
}

function millis(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new MetricsInputError(`${field}: expected a non-negative number of milliseconds, got ${JSON.stringify(value)}`, { field });
  }
  return Math.round(value);
}

type OnceKind = 'indicators' | 'graph_requests' | 'runs' | 'throttle_delays' | 'threatq_writes' | 'notifications';

function onceKey(prefix: string, once: string | undefined, kind: OnceKind): { key: string; id: string } | undefined {
  return once === undefined ? undefined : { key: metricKeys(prefix).once(kind), id: name(once, 'once') };
}

/** Indicators of one chunk or run: accepted, and rejected by reason code. */
export async function recordIndicators(redis: RedisClient, prefix: string, input: IndicatorCounts): Promise<boolean> {
  const source = name(input.source, 'source');
  const collection = name(input.collection, 'collection');
  const incs: Increment[] = [[0, encodeField([source, collection, 'accepted', '']), count(input.accepted, 'accepted')]];
  for (const [reason, n] of Object.entries(input.rejectedByReason)) {
    incs.push([0, encodeField([source, collection, 'rejected', name(reason, 'rejectedByReason key')]), count(n, `rejectedByReason.${reason}`)]);
  }
  return increment(redis, [metricKeys(prefix).indicators], incs, onceKey(prefix, input.once, 'indicators'));
}

/**
 * Indicators a source filtered out, by reason, and its whitelist entries: the same hash and series as
 * recordIndicators, outcome `filtered` (with the reason) and `whitelisted` (reason "").
 */
export async function recordFiltered(redis: RedisClient, prefix: string, input: FilteredCounts): Promise<boolean> {
  const source = name(input.source, 'source');
  const collection = name(input.collection, 'collection');
  const incs: Increment[] = [];
  for (const [reason, n] of Object.entries(input.filteredByReason)) {
    incs.push([0, encodeField([source, collection, 'filtered', name(reason, 'filteredByReason key')]), count(n, `filteredByReason.${reason}`)]);
  }
  if (input.whitelisted !== undefined && count(input.whitelisted, 'whitelisted') > 0) {
    incs.push([0, encodeField([source, collection, 'whitelisted', '']), input.whitelisted]);
  }
  return increment(redis, [metricKeys(prefix).indicators], incs, onceKey(prefix, input.once, 'indicators'));
}

/** `["<name>", METHOD, status]` increments of a byMethodStatus map, validated. */
function methodStatusIncrements(owner: string, byMethodStatus: Record<string, number>): Increment[] {
  const incs: Increment[] = [];
  for (const [key, n] of Object.entries(byMethodStatus)) {
    const m = METHOD_STATUS.exec(key);
    if (!m || m[1] === undefined || m[2] === undefined) {
      throw new MetricsInputError(`byMethodStatus: expected keys like "GET 200", "PATCH 429" or "GET ERR" (no response), got ${JSON.stringify(key)}`, { field: 'byMethodStatus' });
    }
    incs.push([0, encodeField([owner, m[1], m[2]]), count(n, `byMethodStatus.${key}`)]);
  }
  return incs;
}

/** Graph requests made for a target, by method and status, and the 429s met with their waits. */
export async function recordGraphRequests(redis: RedisClient, prefix: string, input: GraphRequestCounts): Promise<boolean> {
  const target = name(input.target, 'target');
  const keys = metricKeys(prefix);
  const incs = methodStatusIncrements(target, input.byMethodStatus);
  const throttled = count(input.throttled, 'throttled');
  const throttledMs = millis(input.throttledMs, 'throttledMs');
  incs.push([1, encodeField([target, 'count']), throttled], [1, encodeField([target, 'ms']), throttledMs]);
  return increment(redis, [keys.graphRequests, keys.graphThrottled], incs, onceKey(prefix, input.once, 'graph_requests'));
}

/** ThreatQ write-back requests of a source (write-back stage), by method and final status. */
export async function recordThreatQWrites(redis: RedisClient, prefix: string, input: ThreatQWriteCounts): Promise<boolean> {
  const incs = methodStatusIncrements(name(input.source, 'source'), input.byMethodStatus);
  return increment(redis, [metricKeys(prefix).threatqWrites], incs, onceKey(prefix, input.once, 'threatq_writes'));
}

/** One finished run: counted by kind and outcome, its duration observed in the histogram. */
export async function recordRun(redis: RedisClient, prefix: string, input: RunObservation): Promise<boolean> {
  if (!RUN_KINDS.includes(input.kind)) throw new MetricsInputError(`kind: expected collect, reconcile or writeback, got ${JSON.stringify(input.kind)}`, { field: 'kind' });
  if (!RUN_OUTCOMES.includes(input.outcome)) {
    throw new MetricsInputError(`outcome: expected succeeded, failed or refused, got ${JSON.stringify(input.outcome)}`, { field: 'outcome' });
  }
  const ms = millis(input.durationMs, 'durationMs');
  const keys = metricKeys(prefix);
  const incs: Increment[] = [
    [0, encodeField([input.kind, input.outcome]), 1],
    [1, encodeField([input.kind, 'bucket', durationBucket(ms / 1000)]), 1],
    [1, encodeField([input.kind, 'sum_ms']), ms],
    [1, encodeField([input.kind, 'count']), 1],
  ];
  return increment(redis, [keys.runs, keys.runDuration], incs, onceKey(prefix, input.once, 'runs'));
}

/**
 * A What If surprise on an enforced policy (src/reconcile/what-if-guard.ts): counted by target and
 * check (`emergency`, `neverBlock`, `canary`). Nothing was disabled; the alert is the signal.
 */
export async function recordSafetyAlert(redis: RedisClient, prefix: string, input: { target: string; check: string; count: number }): Promise<boolean> {
  const incs: Increment[] = [[0, encodeField([name(input.target, 'target'), name(input.check, 'check')]), count(input.count, 'count')]];
  return increment(redis, [metricKeys(prefix).safetyAlerts], incs, undefined);
}

/**
 * What became of one notification to a `notify:` target of `kind` (webhook, slack, teams): `sent`,
 * `retried` (an attempt failed, another comes), `failed` (for good), `suppressed` (the condition was
 * already notified within the target's window).
 */
export type NotificationOutcome = 'sent' | 'retried' | 'failed' | 'suppressed';
const NOTIFICATION_OUTCOMES: readonly string[] = ['sent', 'retried', 'failed', 'suppressed'];

export async function recordNotification(redis: RedisClient, prefix: string, input: { kind: string; outcome: NotificationOutcome; once?: string }): Promise<boolean> {
  if (!NOTIFICATION_OUTCOMES.includes(input.outcome)) {
    throw new MetricsInputError(`outcome: expected sent, retried, failed or suppressed, got ${JSON.stringify(input.outcome)}`, { field: 'outcome' });
  }
  const incs: Increment[] = [[0, encodeField([name(input.kind, 'kind'), input.outcome]), 1]];
  return increment(redis, [metricKeys(prefix).notifications], incs, onceKey(prefix, input.once, 'notifications'));
}

/**
 * A target's job delayed because Graph kept throttling its tenant through every attempt of a request:
 * counted, and its delay added up. Only that job waits (never the queue: other tenants go on).
 */
export async function recordThrottleDelay(redis: RedisClient, prefix: string, input: ThrottleDelay): Promise<boolean> {
  const target = name(input.target, 'target');
  const incs: Increment[] = [
    [0, encodeField([target, 'count']), 1],
    [0, encodeField([target, 'ms']), millis(input.ms, 'ms')],
  ];
  return increment(redis, [metricKeys(prefix).throttleDelays], incs, onceKey(prefix, input.once, 'throttle_delays'));
}

/**
 * The current shape of a target in Entra (a gauge: replaces what was recorded before, so locations
 * that disappeared stop being exported) and, after a successful reconcile, its time.
 */
export async function recordTargetState(redis: RedisClient, prefix: string, input: TargetStateInput): Promise<void> {
  const target = name(input.target, 'target');
  const state: TargetState = {
    maxLocations: count(input.maxLocations, 'maxLocations'),
    maxRangesPerLocation: count(input.maxRangesPerLocation, 'maxRangesPerLocation'),
    locations: input.locations.map((l, i) => ({ name: name(l.name, `locations[${i}].name`), ranges: count(l.ranges, `locations[${i}].ranges`) })),
    recordedAt: Date.now(),
  };
  let successMs: number | undefined;
  if (input.lastSuccessAt !== undefined) {
    successMs = Date.parse(input.lastSuccessAt);
    if (Number.isNaN(successMs)) {
      throw new MetricsInputError(`lastSuccessAt: expected an ISO 8601 time, got ${JSON.stringify(input.lastSuccessAt)}`, { field: 'lastSuccessAt' });
    }
  }
  const keys = metricKeys(prefix);
  const tx = redis.multi().hset(keys.targets, target, JSON.stringify(state));
  if (successMs !== undefined) tx.eval(MAX_SCRIPT, 1, keys.lastSuccess, target, successMs);
  const results = await tx.exec();
  const failed = results?.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
}
