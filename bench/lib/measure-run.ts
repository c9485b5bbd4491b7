/**
 * One measured sync of bench:e2e: enqueue a collect of the bench collection of every source, follow
 * them to their commits and to the reconcile that used them (`followRuns`, as `tq-entra sync --wait`
 * does), and gather (with several sources, `collect` sums their counts and spans their stages: from
 * the first collect's start to the last commit):
 *   - stage timings from the run records (collect: collectMs, waitMs, commitMs; reconcile: desiredMs,
 *     readMs, planMs, applyMs) and the ingest span from the ingest queue's event stream (first chunk
 *     active → last chunk completed, stream-entry timestamps, so Redis' clock);
 *   - peak RSS of every process (VmHWM, reset before the run) and when the sampled RSS peaked;
 *   - Redis used_memory rise during the run;
 *   - the Graph emulator's request log for the run (cleared before it).
 */
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../src/config/schema.ts';
import { followRuns, type Outcome } from '../../src/pipeline/follow-runs.ts';
import { bullConnection, type Queues } from '../../src/pipeline/queues.ts';
import { enqueueCollect } from '../../src/pipeline/producer.ts';
import type { StateKeys } from '../../src/state/redis-keys.ts';
import { readRun, type RunRecord } from '../../src/pipeline/run-store.ts';
import type { GraphControl, GraphLogEntry } from './emulator-processes.ts';
import { RssSampler, resetPeakRss, type RssPeak } from './proc-memory.ts';
import { RedisMemorySampler, usedBetween, type RedisMemoryReport } from './redis-memory.ts';
import { BENCH_COLLECTION } from './bench-config.ts';

export interface RunContext {
  config: Config;
  redis: Redis;
  keys: StateKeys;
  queues: Queues;
  graph: GraphControl;
  /** The sources whose bench collection each run collects. */
  sources: readonly string[];
  procs: { name: string; pid: number | undefined }[];
  timeoutMs: number;
}

export interface RunFigures {
  enqueuedAt: number;
  collect: RunRecord;
  reconcile: RunRecord;
  /** Epoch ms of each boundary. */
  at: { collectStart: number; collected: number; commitStart: number; committed: number; ingestFirst: number; ingestLast: number; reconcileStart: number; reconcileEnd: number };
  ingestChunks: number;
  rss: RssPeak[];
  redisMemory: RedisMemoryReport;
  /** Highest Redis used_memory from the run's start to the first commit, less the start's: what staging took. */
  stagedBytes: number;
  graphLog: GraphLogEntry[];
  outcomes: Outcome[];
}

function num(record: RunRecord, group: 'counts' | 'timings', key: string): number {
  const src = group === 'counts' ? record.counts : ((record.details?.['timings'] ?? {}) as Record<string, number>);
  return Number(src[key] ?? NaN);
}

export function timing(record: RunRecord, key: string): number {
  return num(record, 'timings', key);
}

function streamTime(id: string): number {
  return Number(id.split('-')[0]);
}

/** Ingest chunk timings from the ingest queue's event stream (first active, last completed, count). */
async function watchIngest(ctx: RunContext): Promise<{ figures: { first: number; last: number; chunks: number }; close(): Promise<void> }> {
  const connection = bullConnection(ctx.config.redis);
  const events = new QueueEvents('ingest', { connection, prefix: ctx.config.redis.prefix, autorun: true });
  await events.waitUntilReady();
  const figures = { first: Infinity, last: 0, chunks: 0 };
  events.on('active', (_args, id) => {
    figures.first = Math.min(figures.first, streamTime(id));
  });
  events.on('completed', (_args, id) => {
    figures.chunks += 1;
    figures.last = Math.max(figures.last, streamTime(id));
  });
  return {
    figures,
    async close() {
      await events.close();
      connection.disconnect();
    },
  };
}

/** The collect records of several sources as one: counts summed, stages from the first start to the last commit. */
function combineCollects(records: readonly RunRecord[]): { record: RunRecord; collectStart: number; collected: number; commitStart: number; committed: number; firstCommitStart: number } {
  const starts = records.map((r) => Date.parse(r.startedAt));
  const collected = records.map((r, i) => (starts[i] ?? 0) + timing(r, 'collectMs'));
  const commitStarts = records.map((r, i) => (collected[i] ?? 0) + timing(r, 'waitMs'));
  const committed = records.map((r, i) => (commitStarts[i] ?? 0) + timing(r, 'commitMs'));
  const at = { collectStart: Math.min(...starts), collected: Math.max(...collected), commitStart: Math.max(...commitStarts), committed: Math.max(...committed), firstCommitStart: Math.min(...commitStarts) };
  const last = records[committed.indexOf(at.committed)] ?? (records[0] as RunRecord);
  const counts: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + Number(v);
  const timings = { collectMs: at.collected - at.collectStart, waitMs: at.commitStart - at.collected, commitMs: at.committed - at.commitStart };
  return { record: { ...last, startedAt: new Date(at.collectStart).toISOString(), counts, details: { ...last.details, timings } }, ...at };
}

/**
 * With several sources the bench config holds each commit's reconcile (bench-config.ts holdReconcile):
 * once every collect job has completed (all committed), start the held reconcile at once.
 */
function promoteReconcileAfter(ctx: RunContext, collectIds: readonly string[]): { stop(): void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const states = await Promise.all(collectIds.map((id) => ctx.queues.collect.getJobState(id)));
      // Finished, either way (a failed collect fails the run: followRuns reports it).
      if (states.every((s) => s === 'completed' || s === 'failed')) {
        for (const job of await ctx.queues.reconcile.getDelayed()) await job.promote().catch(() => undefined);
        if ((await ctx.queues.reconcile.getDelayedCount()) === 0) return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  void loop().catch((e: unknown) => process.stderr.write(`bench: promoting the held reconcile failed: ${String(e)}\n`));
  return { stop: () => void (stopped = true) };
}

export async function measureRun(ctx: RunContext): Promise<RunFigures> {
  for (const p of ctx.procs) resetPeakRss(p.pid);
  await ctx.graph.clearRequests();
  const ingest = await watchIngest(ctx);
  const rssSampler = new RssSampler(ctx.procs).start();
  const redisSampler = await new RedisMemorySampler(ctx.redis).start();
  try {
    const enqueuedAt = Date.now();
    const collectIds = await Promise.all(ctx.sources.map((source) => enqueueCollect(ctx.queues, { source, collection: BENCH_COLLECTION, manual: false, trigger: 'cli' })));
    const promoter = ctx.sources.length > 1 ? promoteReconcileAfter(ctx, collectIds) : undefined;
    const outcomes = await followRuns(ctx.config, ctx.queues, collectIds, [], ctx.timeoutMs).finally(() => promoter?.stop());
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) throw new Error(`the run did not succeed: ${failed.map((o) => `${o.queue} ${o.jobId}: ${o.error ?? ''}`).join('; ')}`);
    const reconcileId = outcomes.find((o) => o.queue === 'reconcile')?.jobId ?? '';
    const collectRunIds = outcomes.filter((o) => o.queue === 'collect').map((o) => (o.result as { runId?: string } | undefined)?.runId ?? '');
    const [reconcile, ...collects] = await Promise.all([readRun(ctx.redis, ctx.keys, reconcileId), ...collectRunIds.map((id) => readRun(ctx.redis, ctx.keys, id))]);
    if (!reconcile || collects.some((c) => !c)) throw new Error(`run records missing (${collectRunIds.join(', ')} of jobs ${collectIds.join(', ')}, ${reconcileId})`);
    // Give the event stream a moment to deliver the last completions.
    await new Promise((r) => setTimeout(r, 300));
    const rss = rssSampler.stop();
    const redisMemory = await redisSampler.stop();
    const graphLog = await ctx.graph.requests();
    const c = combineCollects(collects as RunRecord[]);
    const reconcileStart = Date.parse(reconcile.startedAt);
    return {
      enqueuedAt,
      collect: c.record,
      reconcile,
      at: {
        collectStart: c.collectStart,
        collected: c.collected,
        commitStart: c.commitStart,
        committed: c.committed,
        ingestFirst: ingest.figures.first,
        ingestLast: ingest.figures.last,
        reconcileStart,
        reconcileEnd: reconcileStart + num(reconcile, 'counts', 'durationMs'),
      },
      ingestChunks: ingest.figures.chunks,
      rss,
      redisMemory,
      stagedBytes: usedBetween(redisMemory, enqueuedAt, c.firstCommitStart) - redisMemory.baseline,
      graphLog,
      outcomes,
    };
  } finally {
    rssSampler.stop();
    await redisSampler.stop().catch(() => undefined);
    await ingest.close();
  }
}
