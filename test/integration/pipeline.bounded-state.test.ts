/**
 * Bounded state (issue 13, finding 8): hourly re-syncs that change nothing must keep Redis flat.
 *
 * Each simulated run makes the store calls the workers make for one collect run of 10 chunks (run
 * record, per-chunk counts and rejection examples, indicator metrics with a `once` id per chunk, run
 * metrics) and one reconcile (run record, Graph request metrics, run metrics, target state), an hour
 * apart on the stores' clock. After the first runs the number of keys under the prefix must not move,
 * and their memory (MEMORY USAGE summed) must stay within a small margin, for 100 runs. `report`'s
 * reading of the last run (counts, examples per reason) keeps working.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsClock, recordGraphRequests, recordIndicators, recordRun, recordTargetState } from '../../src/observability/metrics-store.ts';
import { stateKeys, type StateKeys } from '../../src/state/redis-keys.ts';
import { EXAMPLES_PER_REASON, lastRunId, readRejections, readRun, recordChunk, writeRun, type RejectExample } from '../../src/pipeline/run-store.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis;
let keys: StateKeys;
const realNow = metricsClock.now;

beforeEach(() => {
  r = testRedis('bounded-state');
  keys = stateKeys(r.prefix);
});

afterEach(async () => {
  metricsClock.now = realNow;
  await r.cleanup();
});

const HOUR = 3600_000;
const CHUNKS = 10;
const REASONS = ['NOT_AN_ADDRESS', 'RESERVED', 'LEADING_ZERO'];

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

async function keyStats(): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let n = 0;
  let bytes = 0;
  do {
    const [next, batch] = await r.client.scan(cursor, 'MATCH', `${r.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) {
      n += 1;
      bytes += Number(await r.client.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
    }
  } while (cursor !== '0');
  return { keys: n, bytes };
}

/** One unchanged hourly sync: a collect run of CHUNKS chunks and the reconcile it triggers. */
async function simulateRun(i: number, t0: number): Promise<{ runId: string; stage: string }> {
  const startedMs = t0 + i * HOUR;
  metricsClock.now = () => startedMs;
  const hex = i.toString(16).padStart(8, '0');
  const runId = `collect-${stamp(startedMs)}-${hex}`;
  const stage = `${runId}~1`;
  const startedAt = new Date(startedMs).toISOString();
  const base = { id: runId, kind: 'collect' as const, name: 'tq', collection: 'c1', trigger: 'schedule', startedAt, counts: {} };
  await writeRun(r.client, keys, { ...base, status: 'running' });
  for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
    const examples: Record<string, RejectExample[]> = {};
    const reasons: Record<string, number> = {};
    for (const reason of REASONS) {
      reasons[reason] = 40;
      examples[reason] = Array.from({ length: EXAMPLES_PER_REASON }, (_, k) => ({ line: chunk * 1000 + k + 1, value: `bad-value-${reason}-${chunk}-${k}-`.padEnd(120, 'x') }));
    }
    await recordChunk(r.client, keys, stage, chunk, { accepted: 880, rejected: 120, reasons, warnings: { HOST_BITS_CLEARED: 3 } }, examples, { source: 'tq', collection: 'c1' });
    await recordIndicators(r.client, r.prefix, { source: 'tq', collection: 'c1', accepted: 880, rejectedByReason: reasons, once: `${stage}:${chunk}` });
  }
  const finishedAt = new Date(startedMs + 60_000).toISOString();
  await writeRun(r.client, keys, { ...base, status: 'succeeded', finishedAt, counts: { seen: 10_000, accepted: 8800, rejected: 1200, ranges: 8000, chunks: CHUNKS }, details: { stageId: stage } });
  await recordRun(r.client, r.prefix, { kind: 'collect', outcome: 'succeeded', durationMs: 60_000, once: runId });

  const rid = `reconcile-${stamp(startedMs + 61_000)}-${hex}`;
  const rbase = { id: rid, kind: 'reconcile' as const, name: 't1', trigger: 'schedule', startedAt: new Date(startedMs + 61_000).toISOString(), counts: {} };
  await writeRun(r.client, keys, { ...rbase, status: 'running' });
  await recordGraphRequests(r.client, r.prefix, { target: 't1', byMethodStatus: { 'GET 200': 6 }, throttled: 0, throttledMs: 0, once: `${rid}:1` });
  await writeRun(r.client, keys, {
    ...rbase,
    status: 'succeeded',
    finishedAt: new Date(startedMs + 70_000).toISOString(),
    counts: { graphReads: 6, graphWrites: 0 },
    details: { snapshots: [{ runId }], locations: [{ name: 'TQ Blocked', ranges: 8000 }] },
  });
  await recordRun(r.client, r.prefix, { kind: 'reconcile', outcome: 'succeeded', durationMs: 9000, once: rid });
  await recordTargetState(r.client, r.prefix, { target: 't1', maxLocations: 10, maxRangesPerLocation: 2000, locations: [{ name: 'TQ Blocked', ranges: 8000 }], lastSuccessAt: new Date(startedMs + 70_000).toISOString() });
  return { runId, stage };
}

describe('bounded state', () => {
  it('100 unchanged hourly runs keep the key count fixed and memory flat after the first runs', async () => {
    const t0 = Date.UTC(2026, 10, 1);
    const at: Record<number, { keys: number; bytes: number }> = {};
    let last = { runId: '', stage: '' };
    for (let i = 1; i <= 100; i += 1) {
      last = await simulateRun(i, t0);
      if ([1, 10, 30, 60, 100].includes(i)) at[i] = await keyStats();
    }
    process.stderr.write(`[bounded-state] after runs: ${Object.entries(at).map(([i, s]) => `${i}: ${s.keys} keys ${Math.round(s.bytes / 1024)} KB`).join(', ')}\n`);
    const s30 = at[30];
    const s100 = at[100];
    if (!s30 || !s100) throw new Error('unreachable');
    expect(s100.keys).toBe(s30.keys);
    expect(s100.keys).toBeLessThan(60);
    // Memory: flat within 5 % (hash encodings and member lengths move a little), and small in absolute terms.
    expect(Math.abs(s100.bytes - s30.bytes)).toBeLessThan(s30.bytes * 0.05);
    expect(s100.bytes).toBeLessThan(512 * 1024);

    // `report` still reads the last run: counts summed over chunks, a few truncated examples per reason.
    expect(await lastRunId(r.client, keys, 'source', 'tq/c1')).toBe(last.runId);
    const run = await readRun(r.client, keys, last.runId);
    expect(run?.status).toBe('succeeded');
    const rej = await readRejections(r.client, keys, last.stage, { source: 'tq', collection: 'c1' });
    expect(rej.accepted).toBe(880 * CHUNKS);
    expect(rej.reasons['RESERVED']).toBe(40 * CHUNKS);
    expect(rej.warnings['HOST_BITS_CLEARED']).toBe(3 * CHUNKS);
    for (const reason of REASONS) {
      const ex = rej.examples[reason] ?? [];
      expect(ex).toHaveLength(EXAMPLES_PER_REASON);
      // The lowest line numbers of the run, whatever order the chunks came in.
      expect(ex.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
    }
  }, 120_000);

  it('metrics `once` ids still make a repeated call a no-op, with one key per kind instead of one per id', async () => {
    const input = { source: 's', collection: 'c', accepted: 3, rejectedByReason: { NOT_AN_ADDRESS: 1 } };
    expect(await recordIndicators(r.client, r.prefix, { ...input, once: 'run-1~1:0' })).toBe(true);
    expect(await recordIndicators(r.client, r.prefix, { ...input, once: 'run-1~1:0' })).toBe(false);
    expect(await recordIndicators(r.client, r.prefix, { ...input, once: 'run-1~1:1' })).toBe(true);
    expect(await recordRun(r.client, r.prefix, { kind: 'collect', outcome: 'succeeded', durationMs: 5, once: 'run-1~1:0' })).toBe(true);
    expect(await r.client.hget(`${r.prefix}:metrics:indicators`, JSON.stringify(['s', 'c', 'accepted', '']))).toBe('6');
    const onceKeys = await r.client.keys(`${r.prefix}:metrics:once*`);
    expect(onceKeys.sort()).toEqual([`${r.prefix}:metrics:once:indicators`, `${r.prefix}:metrics:once:runs`]);
  });

  it('examples of an older run are not reported as the new run’s, and examples are truncated', async () => {
    const long = 'y'.repeat(500);
    await recordChunk(r.client, keys, 'old~1', 0, { accepted: 0, rejected: 1, reasons: { RESERVED: 1 }, warnings: {} }, { RESERVED: [{ line: 3, value: '10.0.0.1' }] }, { source: 's', collection: 'c' });
    await recordChunk(r.client, keys, 'new~1', 0, { accepted: 0, rejected: 1, reasons: { NOT_AN_ADDRESS: 1 }, warnings: {} }, { NOT_AN_ADDRESS: [{ line: 9, value: long }] }, { source: 's', collection: 'c' });
    const rej = await readRejections(r.client, keys, 'new~1', { source: 's', collection: 'c' });
    expect(rej.examples['RESERVED']).toBeUndefined();
    expect(rej.examples['NOT_AN_ADDRESS']?.[0]?.line).toBe(9);
    expect(rej.examples['NOT_AN_ADDRESS']?.[0]?.value.length).toBeLessThanOrEqual(121);
  });
});
