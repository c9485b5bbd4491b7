/**
 * `/metrics` of the dashboard: the cluster-wide service metrics read from Redis (written by
 * metrics-store.ts from whichever worker did the work), followed by BullMQ's queue metrics, merged so
 * each family appears once. Reads are one MULTI of HGETALLs (a consistent snapshot). Every series is
 * listed in docs/METRICS.md with suggested alerts; keep the two in step.
 *
 * | series                                                         | type      | labels                               |
 * |----------------------------------------------------------------|-----------|--------------------------------------|
 * | tq_entra_indicators_total                                      | counter   | source, collection, outcome, reason  |
 * |   indicators accepted (outcome="accepted", reason=""), rejected by reason code (outcome="rejected"),       |
 * |   filtered out by the source (outcome="filtered": type/status, score:/age: thresholds) or whitelisted   |
 * |   (outcome="whitelisted", reason=""; ThreatQ's whitelist, never blocked)                                 |
 * | tq_entra_target_ranges                                         | gauge     | target                               |
 * |   ranges held in the target's named locations at its last reconcile                                      |
 * | tq_entra_target_capacity_ratio                                 | gauge     | target                               |
 * |   target_ranges / (maxLocations × maxRangesPerLocation)                                                  |
 * | tq_entra_target_locations / tq_entra_target_locations_max      | gauge     | target                               |
 * |   named locations used / allowed (maxLocations)                                                          |
 * | tq_entra_location_ranges                                       | gauge     | target, location                     |
 * | tq_entra_location_capacity_ratio                               | gauge     | target, location                     |
 * |   location ranges / maxRangesPerLocation                                                                 |
 * | tq_entra_target_state_timestamp_seconds                        | gauge     | target                               |
 * |   when the target's shape above was last recorded                                                         |
 * | tq_entra_last_successful_reconcile_timestamp_seconds           | gauge     | target                               |
 * | tq_entra_graph_requests_total                                  | counter   | target, method, status               |
 * | tq_entra_graph_throttled_total                                 | counter   | target                               |
 * | tq_entra_graph_throttled_seconds_total                         | counter   | target (time waited after 429s)      |
 * | tq_entra_graph_throttle_streak                                 | gauge     | tenant (429s in a row now)           |
 * | tq_entra_graph_throttle_delays_total                           | counter   | target                               |
 * |   the target's jobs delayed (not failed, attempts kept) because Graph throttled its tenant through every |
 * |   attempt of a request; only that job waits, never the queue                                            |
 * | tq_entra_graph_throttle_delay_seconds_total                    | counter   | target (the time those jobs were delayed) |
 * | tq_entra_threatq_write_requests_total                          | counter   | source, method, status               |
 * |   write-back requests to ThreatQ (tags, attributes) by final status; ERR: no response                   |
 * | tq_entra_runs_total                                            | counter   | kind (collect, reconcile, writeback), outcome |
 * | tq_entra_safety_alerts_total                                   | counter   | target, check (emergency, neverBlock, canary) |
 * |   What If surprises after a reconcile of an enforced policy (nothing is disabled: alert on any increase)  |
 * | tq_entra_run_duration_seconds                                  | histogram | kind                                 |
 * | tq_entra_notifications_total                                   | counter   | kind (webhook, slack, teams), outcome |
 * |   sent, retried (an attempt failed, another comes), failed (for good), suppressed (dedup window)         |
 * | bullmq_job_count                                               | gauge     | queue, state                         |
 * | bullmq_job_completed_total / bullmq_job_failed_total           | counter   | queue (needs Worker `metrics` option)|
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { RUN_DURATION_BUCKETS, decodeField, metricKeys, type TargetState } from '../observability/metrics-keys.ts';
import { formatFamily, mergeExpositions, type MetricFamily, type Sample } from '../observability/prom-text.ts';

/** What the export needs of a BullMQ Queue. */
export interface PrometheusQueue {
  exportPrometheusMetrics(): Promise<string>;
}

type Hash = Record<string, string>;

function num(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

function rows(hash: Hash, arity: number): [string[], number][] {
  const out: [string[], number][] = [];
  for (const [field, value] of Object.entries(hash)) {
    const parts = decodeField(field, arity);
    if (parts) out.push([parts, num(value)]);
  }
  return out.sort((a, b) => a[0].join('\u0000').localeCompare(b[0].join('\u0000')));
}

function parseTargetState(text: string): TargetState | undefined {
  try {
    const s = JSON.parse(text) as Partial<TargetState>;
    if (typeof s.maxLocations !== 'number' || typeof s.maxRangesPerLocation !== 'number' || !Array.isArray(s.locations)) return undefined;
    return { maxLocations: s.maxLocations, maxRangesPerLocation: s.maxRangesPerLocation, locations: s.locations, recordedAt: num(String(s.recordedAt)) };
  } catch {
    return undefined;
  }
}

function ratio(n: number, d: number): number {
  return d > 0 ? n / d : 0;
}

/** The raw hashes behind the service metrics. */
export interface MetricsSnapshot {
  indicators: Hash;
  graphRequests: Hash;
  graphThrottled: Hash;
  throttleDelays: Hash;
  threatqWrites: Hash;
  runs: Hash;
  safetyAlerts: Hash;
  notifications: Hash;
  runDuration: Hash;
  targets: Hash;
  lastSuccess: Hash;
  throttleStreak: Hash;
}

export async function readMetricsSnapshot(redis: RedisClient, prefix: string): Promise<MetricsSnapshot> {
  const k = metricKeys(prefix);
  const order = ['indicators', 'graphRequests', 'graphThrottled', 'throttleDelays', 'threatqWrites', 'runs', 'safetyAlerts', 'notifications', 'runDuration', 'targets', 'lastSuccess', 'throttleStreak'] as const;
  const tx = redis.multi();
  for (const name of order) tx.hgetall(k[name]);
  const results = (await tx.exec()) ?? [];
  const snap = {} as MetricsSnapshot;
  order.forEach((name, i) => {
    const [err, value] = results[i] ?? [null, {}];
    if (err) throw err;
    snap[name] = (value ?? {}) as Hash;
  });
  return snap;
}

function targetFamilies(snap: MetricsSnapshot): MetricFamily[] {
  const ranges: Sample[] = [];
  const capacity: Sample[] = [];
  const locations: Sample[] = [];
  const locationsMax: Sample[] = [];
  const locRanges: Sample[] = [];
  const locCapacity: Sample[] = [];
  const recorded: Sample[] = [];
  for (const target of Object.keys(snap.targets).sort()) {
    const s = parseTargetState(snap.targets[target] ?? '');
    if (!s) continue;
    const total = s.locations.reduce((n, l) => n + l.ranges, 0);
    ranges.push({ labels: { target }, value: total });
    capacity.push({ labels: { target }, value: ratio(total, s.maxLocations * s.maxRangesPerLocation) });
    locations.push({ labels: { target }, value: s.locations.length });
    locationsMax.push({ labels: { target }, value: s.maxLocations });
    recorded.push({ labels: { target }, value: s.recordedAt / 1000 });
    for (const l of s.locations) {
      locRanges.push({ labels: { target, location: l.name }, value: l.ranges });
      locCapacity.push({ labels: { target, location: l.name }, value: ratio(l.ranges, s.maxRangesPerLocation) });
    }
  }
  const lastSuccess: Sample[] = Object.keys(snap.lastSuccess)
    .sort()
    .map((target) => ({ labels: { target }, value: num(snap.lastSuccess[target]) / 1000 }));
  return [
    { name: 'tq_entra_target_ranges', type: 'gauge', help: 'Ranges in the target\'s named locations at its last recorded reconcile.', samples: ranges },
    { name: 'tq_entra_target_capacity_ratio', type: 'gauge', help: 'Target ranges / (maxLocations x maxRangesPerLocation).', samples: capacity },
    { name: 'tq_entra_target_locations', type: 'gauge', help: 'Named locations the target uses.', samples: locations },
    { name: 'tq_entra_target_locations_max', type: 'gauge', help: 'Named locations the target may use (maxLocations).', samples: locationsMax },
    { name: 'tq_entra_location_ranges', type: 'gauge', help: 'Ranges in one named location.', samples: locRanges },
    { name: 'tq_entra_location_capacity_ratio', type: 'gauge', help: 'Ranges in one named location / maxRangesPerLocation.', samples: locCapacity },
    { name: 'tq_entra_target_state_timestamp_seconds', type: 'gauge', help: 'When the target state above was recorded (Unix time).', samples: recorded },
    {
      name: 'tq_entra_last_successful_reconcile_timestamp_seconds',
      type: 'gauge',
      help: 'Unix time of the last successful reconcile of the target.',
      samples: lastSuccess,
    },
  ];
}

function durationFamily(hash: Hash): MetricFamily {
  const byKind = new Map<string, { buckets: Map<string, number>; sumMs: number; count: number }>();
  for (const [field, value] of Object.entries(hash)) {
    const parts = decodeField(field, 3) ?? decodeField(field, 2);
    if (!parts || parts[0] === undefined) continue;
    let k = byKind.get(parts[0]);
    if (!k) byKind.set(parts[0], (k = { buckets: new Map(), sumMs: 0, count: 0 }));
    if (parts[1] === 'bucket' && parts[2] !== undefined) k.buckets.set(parts[2], num(value));
    else if (parts[1] === 'sum_ms') k.sumMs = num(value);
    else if (parts[1] === 'count') k.count = num(value);
  }
  const samples: Sample[] = [];
  for (const kind of [...byKind.keys()].sort()) {
    const k = byKind.get(kind);
    if (!k) continue;
    let cumulative = 0;
    for (const b of RUN_DURATION_BUCKETS) {
      cumulative += k.buckets.get(String(b)) ?? 0;
      samples.push({ suffix: '_bucket', labels: { kind, le: String(b) }, value: cumulative });
    }
    samples.push({ suffix: '_bucket', labels: { kind, le: '+Inf' }, value: k.count });
    samples.push({ suffix: '_sum', labels: { kind }, value: k.sumMs / 1000 });
    samples.push({ suffix: '_count', labels: { kind }, value: k.count });
  }
  return { name: 'tq_entra_run_duration_seconds', type: 'histogram', help: 'Duration of finished runs (collect: source to snapshot; reconcile: plan and apply; writeback: annotate ThreatQ).', samples };
}

/** The service families from one Redis snapshot (exported for tests and the demo summary). */
export function serviceFamilies(snap: MetricsSnapshot): MetricFamily[] {
  return [
    {
      name: 'tq_entra_indicators_total',
      type: 'counter',
      help: 'Indicators read from sources: accepted, rejected with a reason code, filtered out by the source with its reason (type, status, score and age thresholds), or whitelisted.',
      samples: rows(snap.indicators, 4).map(([[source = '', collection = '', outcome = '', reason = ''], value]) => ({
        labels: { source, collection, outcome, reason },
        value,
      })),
    },
    ...targetFamilies(snap),
    {
      name: 'tq_entra_graph_requests_total',
      type: 'counter',
      help: 'Microsoft Graph requests by target, HTTP method and status.',
      samples: rows(snap.graphRequests, 3).map(([[target = '', method = '', status = ''], value]) => ({ labels: { target, method, status }, value })),
    },
    ...throttleFamilies(snap),
    ...runFamilies(snap),
  ];
}

/** Graph 429s by target, the tenants' streaks now, and the jobs delayed because a tenant stayed throttled. */
function throttleFamilies(snap: MetricsSnapshot): MetricFamily[] {
  const throttled = rows(snap.graphThrottled, 2);
  const delays = rows(snap.throttleDelays, 2);
  return [
    {
      name: 'tq_entra_graph_throttled_total',
      type: 'counter',
      help: 'Graph responses with status 429 (throttled).',
      samples: throttled.filter(([p]) => p[1] === 'count').map(([[target = ''], value]) => ({ labels: { target }, value })),
    },
    {
      name: 'tq_entra_graph_throttled_seconds_total',
      type: 'counter',
      help: 'Time waited because of Graph 429s.',
      samples: throttled.filter(([p]) => p[1] === 'ms').map(([[target = ''], value]) => ({ labels: { target }, value: value / 1000 })),
    },
    {
      name: 'tq_entra_graph_throttle_streak',
      type: 'gauge',
      help: "Graph 429s in a row for the tenant now (the shared streak that sets the pause; 0 after a success).",
      samples: Object.keys(snap.throttleStreak ?? {})
        .sort()
        .map((tenant) => ({ labels: { tenant }, value: num(snap.throttleStreak[tenant]) })),
    },
    {
      name: 'tq_entra_graph_throttle_delays_total',
      type: 'counter',
      help: "Jobs of the target delayed (attempts kept) because Graph throttled its tenant through every attempt of a request; other tenants' jobs go on.",
      samples: delays.filter(([p]) => p[1] === 'count').map(([[target = ''], value]) => ({ labels: { target }, value })),
    },
    {
      name: 'tq_entra_graph_throttle_delay_seconds_total',
      type: 'counter',
      help: "Time the target's jobs were delayed because Graph throttled its tenant through every attempt of a request.",
      samples: delays.filter(([p]) => p[1] === 'ms').map(([[target = ''], value]) => ({ labels: { target }, value: value / 1000 })),
    },
  ];
}

/** Runs by kind and outcome, their durations, the write-back's ThreatQ requests, and notifications. */
function runFamilies(snap: MetricsSnapshot): MetricFamily[] {
  return [
    {
      name: 'tq_entra_threatq_write_requests_total',
      type: 'counter',
      help: 'Write-back requests to ThreatQ (tags, attributes) by source, HTTP method and final status (ERR: no response).',
      samples: rows(snap.threatqWrites, 3).map(([[source = '', method = '', status = ''], value]) => ({ labels: { source, method, status }, value })),
    },
    {
      name: 'tq_entra_runs_total',
      type: 'counter',
      help: 'Finished runs by kind (collect, reconcile, writeback) and outcome (succeeded, failed, refused).',
      samples: rows(snap.runs, 2).map(([[kind = '', outcome = ''], value]) => ({ labels: { kind, outcome }, value })),
    },
    {
      name: 'tq_entra_safety_alerts_total',
      type: 'counter',
      help: 'What If surprises after a reconcile of an enforced policy, by target and check (emergency, neverBlock, canary); nothing was disabled.',
      samples: rows(snap.safetyAlerts, 2).map(([[target = '', check = ''], value]) => ({ labels: { target, check }, value })),
    },
    durationFamily(snap.runDuration),
    {
      name: 'tq_entra_notifications_total',
      type: 'counter',
      help: 'Notifications to notify: targets by kind (webhook, slack, teams) and outcome (sent, retried, failed, suppressed by the dedup window).',
      samples: rows(snap.notifications, 2).map(([[kind = '', outcome = ''], value]) => ({ labels: { kind, outcome }, value })),
    },
  ];
}

/** The Prometheus text of the Redis-backed service metrics followed by each queue's BullMQ metrics. */
export async function renderServiceMetrics(redis: RedisClient, prefix: string, queues: readonly PrometheusQueue[]): Promise<string> {
  const [snap, ...queueTexts] = await Promise.all([readMetricsSnapshot(redis, prefix), ...queues.map((q) => q.exportPrometheusMetrics())]);
  const own = serviceFamilies(snap).map(formatFamily).join('\n');
  return mergeExpositions([own, ...queueTexts]);
}
