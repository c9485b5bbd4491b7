/**
 * The Redis-backed service metrics: recorded through metrics-store.ts into a real Redis and read back
 * through the Prometheus export (metrics-export.ts), with real BullMQ queues for the queue lines.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createQueues, type Queues } from '../../src/pipeline/queues.ts';
import { renderServiceMetrics } from '../../src/dashboard/metrics-export.ts';
import { metricKeys } from '../../src/observability/metrics-keys.ts';
import { MetricsInputError } from '../../src/observability/errors/metrics-input-error.ts';
import {
  recordFiltered,
  recordGraphRequests,
  recordIndicators,
  recordThrottleDelay,
  recordRun,
  recordTargetState,
} from '../../src/observability/metrics-store.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { parseExposition, sampleValue } from '../helpers/prom-parse.ts';

let r: TestRedis;
let queues: Queues;

beforeEach(() => {
  r = testRedis('ops-metrics');
  queues = createQueues(r.client, r.prefix);
});

afterEach(async () => {
  await queues.close();
  await r.cleanup();
});

async function render(): Promise<string> {
  return renderServiceMetrics(r.client, r.prefix, [queues.collect, queues.ingest, queues.reconcile]);
}

describe('service metrics in Redis', () => {
  it('adds indicator counts from several calls (replicas) per source, collection, outcome and reason', async () => {
    await recordIndicators(r.client, r.prefix, { source: 'tq-a', collection: 'c1', accepted: 10, rejectedByReason: { ERR_RANGE_RESERVED: 2 } });
    await recordIndicators(r.client, r.prefix, { source: 'tq-a', collection: 'c1', accepted: 5, rejectedByReason: { ERR_RANGE_RESERVED: 1, ERR_PARSE: 4 } });
    await recordIndicators(r.client, r.prefix, { source: 'file "x"', collection: 'file', accepted: 7, rejectedByReason: {} });
    const m = parseExposition(await render());
    expect(m.types.get('tq_entra_indicators_total')).toBe('counter');
    expect(sampleValue(m, 'tq_entra_indicators_total', { source: 'tq-a', collection: 'c1', outcome: 'accepted', reason: '' })).toBe(15);
    expect(sampleValue(m, 'tq_entra_indicators_total', { source: 'tq-a', collection: 'c1', outcome: 'rejected', reason: 'ERR_RANGE_RESERVED' })).toBe(3);
    expect(sampleValue(m, 'tq_entra_indicators_total', { source: 'tq-a', collection: 'c1', outcome: 'rejected', reason: 'ERR_PARSE' })).toBe(4);
    // Quotes in names are escaped and read back intact.
    expect(sampleValue(m, 'tq_entra_indicators_total', { source: 'file "x"', collection: 'file', outcome: 'accepted', reason: '' })).toBe(7);
  });

  it('counts what a source filtered out, by reason, and its whitelist entries, once per collect attempt', async () => {
    const input = { source: 'tq-a', collection: 'c1', filteredByReason: { 'score:below-6': 4, 'age:older-than-90d': 2, 'status:Expired': 1 }, whitelisted: 3, once: 'collect-1~1:filtered' };
    expect(await recordFiltered(r.client, r.prefix, input)).toBe(true);
    expect(await recordFiltered(r.client, r.prefix, input)).toBe(false);
    await recordFiltered(r.client, r.prefix, { source: 'tq-a', collection: 'c1', filteredByReason: { 'score:below-6': 1, 'score:none': 5 } });
    await recordIndicators(r.client, r.prefix, { source: 'tq-a', collection: 'c1', accepted: 10, rejectedByReason: {} });
    const m = parseExposition(await render());
    const v = (outcome: string, reason: string) => sampleValue(m, 'tq_entra_indicators_total', { source: 'tq-a', collection: 'c1', outcome, reason });
    expect(v('filtered', 'score:below-6')).toBe(5);
    expect(v('filtered', 'score:none')).toBe(5);
    expect(v('filtered', 'age:older-than-90d')).toBe(2);
    expect(v('filtered', 'status:Expired')).toBe(1);
    expect(v('whitelisted', '')).toBe(3);
    expect(v('accepted', '')).toBe(10);
    await expect(recordFiltered(r.client, r.prefix, { source: 's', collection: 'c', filteredByReason: { 'score:none': -1 } })).rejects.toThrow(/filteredByReason.score:none/);
    await expect(recordFiltered(r.client, r.prefix, { source: 's', collection: 'c', filteredByReason: {}, whitelisted: 1.5 })).rejects.toBeInstanceOf(MetricsInputError);
  });

  it('records an event once when given the same `once` id twice (a retried job)', async () => {
    const input = { source: 's', collection: 'c', accepted: 3, rejectedByReason: { ERR_PARSE: 1 }, once: 'run-1:0' };
    expect(await recordIndicators(r.client, r.prefix, input)).toBe(true);
    expect(await recordIndicators(r.client, r.prefix, input)).toBe(false);
    expect(await recordIndicators(r.client, r.prefix, { ...input, once: 'run-1:1' })).toBe(true);
    const m = parseExposition(await render());
    expect(sampleValue(m, 'tq_entra_indicators_total', { source: 's', collection: 'c', outcome: 'accepted', reason: '' })).toBe(6);
    // Remembered in the kind's bounded dedup set, not in a key per id.
    expect(await r.client.zscore(metricKeys(r.prefix).once('indicators'), 'run-1:0')).not.toBeNull();
    expect(await r.client.pttl(metricKeys(r.prefix).once('indicators'))).toBeGreaterThan(3600_000);
  });

  it('exports Graph requests by method and status, 429s and the time waited', async () => {
    await recordGraphRequests(r.client, r.prefix, { target: 't1', byMethodStatus: { 'GET 200': 3, 'PATCH 204': 1, 'PATCH 429': 2 }, throttled: 2, throttledMs: 1500 });
    await recordGraphRequests(r.client, r.prefix, { target: 't1', byMethodStatus: { 'GET 200': 1 }, throttled: 0, throttledMs: 0 });
    const m = parseExposition(await render());
    expect(sampleValue(m, 'tq_entra_graph_requests_total', { target: 't1', method: 'GET', status: '200' })).toBe(4);
    expect(sampleValue(m, 'tq_entra_graph_requests_total', { target: 't1', method: 'PATCH', status: '429' })).toBe(2);
    expect(sampleValue(m, 'tq_entra_graph_throttled_total', { target: 't1' })).toBe(2);
    expect(sampleValue(m, 'tq_entra_graph_throttled_seconds_total', { target: 't1' })).toBe(1.5);
  });

  it('keeps runs by outcome and a cumulative duration histogram per kind', async () => {
    await recordRun(r.client, r.prefix, { kind: 'collect', outcome: 'succeeded', durationMs: 300 });
    await recordRun(r.client, r.prefix, { kind: 'collect', outcome: 'succeeded', durationMs: 4000 });
    await recordRun(r.client, r.prefix, { kind: 'collect', outcome: 'failed', durationMs: 7_200_000 });
    await recordRun(r.client, r.prefix, { kind: 'reconcile', outcome: 'refused', durationMs: 1000 });
    const m = parseExposition(await render());
    expect(m.types.get('tq_entra_run_duration_seconds')).toBe('histogram');
    expect(sampleValue(m, 'tq_entra_runs_total', { kind: 'collect', outcome: 'succeeded' })).toBe(2);
    expect(sampleValue(m, 'tq_entra_runs_total', { kind: 'reconcile', outcome: 'refused' })).toBe(1);
    const bucket = (le: string) => sampleValue(m, 'tq_entra_run_duration_seconds_bucket', { kind: 'collect', le });
    expect(bucket('0.5')).toBe(1);
    expect(bucket('2.5')).toBe(1);
    expect(bucket('5')).toBe(2);
    expect(bucket('3600')).toBe(2);
    expect(bucket('+Inf')).toBe(3);
    expect(sampleValue(m, 'tq_entra_run_duration_seconds_count', { kind: 'collect' })).toBe(3);
    expect(sampleValue(m, 'tq_entra_run_duration_seconds_sum', { kind: 'collect' })).toBeCloseTo(7204.3, 6);
    expect(sampleValue(m, 'tq_entra_run_duration_seconds_bucket', { kind: 'reconcile', le: '1' })).toBe(1);
  });

  it('exports target and location capacity, replacing the previous state; the last success only moves forward', async () => {
    await recordTargetState(r.client, r.prefix, {
      target: 't1',
      maxLocations: 4,
      maxRangesPerLocation: 2000,
      locations: [
        { name: 'TQ Blocked', ranges: 2000 },
        { name: 'TQ Blocked (2)', ranges: 500 },
        { name: 'TQ Blocked (3)', ranges: 10 },
      ],
      lastSuccessAt: '2026-11-29T10:00:00.000Z',
    });
    await recordTargetState(r.client, r.prefix, {
      target: 't1',
      maxLocations: 4,
      maxRangesPerLocation: 2000,
      locations: [
        { name: 'TQ Blocked', ranges: 2000 },
        { name: 'TQ Blocked (2)', ranges: 1000 },
      ],
      lastSuccessAt: '2026-11-29T09:00:00.000Z', // a late retry: must not move the time back
    });
    const m = parseExposition(await render());
    expect(sampleValue(m, 'tq_entra_target_ranges', { target: 't1' })).toBe(3000);
    expect(sampleValue(m, 'tq_entra_target_locations', { target: 't1' })).toBe(2);
    expect(sampleValue(m, 'tq_entra_target_locations_max', { target: 't1' })).toBe(4);
    expect(sampleValue(m, 'tq_entra_target_capacity_ratio', { target: 't1' })).toBe(3000 / 8000);
    expect(sampleValue(m, 'tq_entra_location_ranges', { target: 't1', location: 'TQ Blocked (2)' })).toBe(1000);
    expect(sampleValue(m, 'tq_entra_location_capacity_ratio', { target: 't1', location: 'TQ Blocked' })).toBe(1);
    expect(sampleValue(m, 'tq_entra_location_capacity_ratio', { target: 't1', location: 'TQ Blocked (2)' })).toBe(0.5);
    expect(sampleValue(m, 'tq_entra_location_ranges', { target: 't1', location: 'TQ Blocked (3)' })).toBeUndefined();
    expect(sampleValue(m, 'tq_entra_last_successful_reconcile_timestamp_seconds', { target: 't1' })).toBe(Date.parse('2026-11-29T10:00:00.000Z') / 1000);
    expect(sampleValue(m, 'tq_entra_target_state_timestamp_seconds', { target: 't1' })).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('a state recorded after a failed reconcile (no lastSuccessAt) keeps the last success', async () => {
    const base = { target: 't2', maxLocations: 1, maxRangesPerLocation: 10, locations: [{ name: 'L', ranges: 1 }] };
    await recordTargetState(r.client, r.prefix, { ...base, lastSuccessAt: '2026-01-01T00:00:00Z' });
    await recordTargetState(r.client, r.prefix, base);
    const m = parseExposition(await render());
    expect(sampleValue(m, 'tq_entra_last_successful_reconcile_timestamp_seconds', { target: 't2' })).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
  });

  it("counts a target's throttle-delayed jobs and adds up their delay in seconds, once per event id", async () => {
    expect(await recordThrottleDelay(r.client, r.prefix, { target: 't1', ms: 1200, once: 'job-1:1' })).toBe(true);
    expect(await recordThrottleDelay(r.client, r.prefix, { target: 't1', ms: 1200, once: 'job-1:1' })).toBe(false);
    await recordThrottleDelay(r.client, r.prefix, { target: 't1', ms: 800, once: 'job-1:2' });
    await recordThrottleDelay(r.client, r.prefix, { target: 't2', ms: 500 });
    const m = parseExposition(await render());
    expect(sampleValue(m, 'tq_entra_graph_throttle_delays_total', { target: 't1' })).toBe(2);
    expect(sampleValue(m, 'tq_entra_graph_throttle_delay_seconds_total', { target: 't1' })).toBe(2);
    expect(sampleValue(m, 'tq_entra_graph_throttle_delays_total', { target: 't2' })).toBe(1);
    expect(sampleValue(m, 'tq_entra_graph_throttle_delay_seconds_total', { target: 't2' })).toBe(0.5);
    await expect(recordThrottleDelay(r.client, r.prefix, { target: '', ms: 1 })).rejects.toThrow(/target/);
  });

  it('follows with the BullMQ queue metrics, each family declared once', async () => {
    await queues.ingest.add('chunk', { runId: 'r', source: 's', collection: 'c', chunk: 0, offset: 1, indicators: [], options: { minPrefixV4: 8, minPrefixV6: 8, allowReserved: false } });
    const text = await render();
    const m = parseExposition(text);
    expect(sampleValue(m, 'bullmq_job_count', { queue: 'ingest', state: 'waiting' })).toBe(1);
    expect(sampleValue(m, 'bullmq_job_count', { queue: 'collect', state: 'waiting' })).toBe(0);
    expect(sampleValue(m, 'bullmq_job_completed_total', { queue: 'reconcile' })).toBe(0);
    expect(text.match(/^# TYPE bullmq_job_count /gm)).toHaveLength(1);
    expect(m.duplicateTypes).toEqual([]);
  });

  it('refuses bad input with an error naming the field', async () => {
    const bad = [
      () => recordIndicators(r.client, r.prefix, { source: '', collection: 'c', accepted: 1, rejectedByReason: {} }),
      () => recordIndicators(r.client, r.prefix, { source: 's', collection: 'c', accepted: -1, rejectedByReason: {} }),
      () => recordIndicators(r.client, r.prefix, { source: 's', collection: 'c', accepted: 1, rejectedByReason: { ERR_X: 1.5 } }),
      () => recordGraphRequests(r.client, r.prefix, { target: 't', byMethodStatus: { 'get-200': 1 }, throttled: 0, throttledMs: 0 }),
      () => recordRun(r.client, r.prefix, { kind: 'sync' as 'collect', outcome: 'succeeded', durationMs: 1 }),
      () => recordTargetState(r.client, r.prefix, { target: 't', maxLocations: 1, maxRangesPerLocation: 1, locations: [], lastSuccessAt: 'yesterday' }),
    ];
    const fields = ['source', 'accepted', 'rejectedByReason.ERR_X', 'byMethodStatus', 'kind', 'lastSuccessAt'];
    for (const [i, call] of bad.entries()) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsInputError);
      expect((err as MetricsInputError).code).toBe('ERR_METRICS_INPUT');
      expect((err as MetricsInputError).message.startsWith(`${fields[i]}:`)).toBe(true);
    }
    const keys = await r.client.keys(`${r.prefix}:metrics:*`);
    expect(keys).toEqual([]);
  });
});
