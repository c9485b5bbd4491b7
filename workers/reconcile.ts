/**
 * The reconcile processor: one reconcile of one target (deduplicated per target by the producer,
 * serialised across processes by the target lock). Desired = fan-in of the committed snapshots of
 * every collection feeding the target; then plan and apply through the Graph client in 'wait' mode:
 * a Graph 429 records the tenant's pause in Redis (shared by every process, growing over a streak of
 * 429s) and this reconcile waits it out and goes on with the same request, where it was. It does not
 * start again from a fresh listing (at 30 % 429s a reconcile of tens of requests restarted on every
 * 429 would almost never finish), and it delays only this tenant's work: other targets' reconciles in
 * other slots go on. Only when one request stays throttled through all its attempts does the
 * GraphThrottledError reach job-signals, which then pauses the reconcile queue for the pause.
 *
 * A busy target lock (another process is reconciling the same target) delays the job by a few
 * seconds without using an attempt. Every reconcile ends with one summary log line and a run record
 * (its details carry the step timings of reconcileTarget: desiredMs, readMs, planMs, applyMs).
 */
import { DelayedError, type Job } from 'bullmq';
import { createGraphClient } from '../src/graph/graph-client.ts';
import type { GraphClient } from '../src/graph/graph-types.ts';
import type { TargetConfig } from '../src/config/schema.ts';
import type { ReconcileJobData } from '../src/pipeline/queues.ts';
import { LockBusyError } from '../src/pipeline/target-lock.ts';
import { writeRun, type RunRecord, type RunStatus } from '../src/pipeline/run-store.ts';
import { reconcileTarget } from '../src/reconcile/reconcile-target.ts';
import { SyncError, coerceError } from '../src/errors/sync-error.ts';
import { describeError } from './job-signals.ts';
import { newRunId } from '../src/pipeline/run-ids.ts';
import { findTarget, type WorkerDeps } from './worker-deps.ts';
import { recordGraphRequests, recordRun, recordTargetState } from '../src/observability/metrics-store.ts';
import { graphStatsDelta, safely, snapshotStats } from './record-metrics.ts';

export const LOCK_BUSY_DELAY_MS = 3000;

export interface ReconcileSummary {
  target: string;
  runId: string;
  desired: number;
  finalRanges: number;
  added: number;
  removed: number;
  locations: { displayName: string; action: string; size: number }[];
  policy: string;
  overflow: number;
  graphReads: number;
  graphWrites: number;
  /** Consistency waits before destructive steps (src/graph/consistency.ts): how many, total wall ms. */
  consistencyWaits: number;
  consistencyWaitMs: number;
  /** Duplicates of a shard the plan deleted (ours, referenced by no policy). */
  duplicatesDeleted: number;
  durationMs: number;
}

/** One Graph client per configured target per process: the credential caches its token. */
const clients = new WeakMap<TargetConfig, GraphClient>();

function graphFor(target: TargetConfig, deps: WorkerDeps): GraphClient {
  let c = clients.get(target);
  if (!c) {
    c = createGraphClient(target, { redis: deps.redis, prefix: deps.config.redis.prefix, onThrottle: 'wait' });
    clients.set(target, c);
  }
  return c;
}

/** The run id is made once per job and kept in its data, so every attempt writes the same run record. */
async function ensureRunId(job: Job<ReconcileJobData>): Promise<string> {
  if (job.data.runId !== undefined) return job.data.runId;
  const runId = newRunId('reconcile');
  await job.updateData({ ...job.data, runId });
  return runId;
}

export async function processReconcile(job: Job<ReconcileJobData>, token: string | undefined, deps: WorkerDeps): Promise<ReconcileSummary> {
  const { config, redis, keys, logger } = deps;
  const target = findTarget(config, job.data.target);
  const graph = graphFor(target, deps);
  const runId = await ensureRunId(job);
  const log = logger.child({ runId, target: target.name });
  const started = Date.now();
  const before = snapshotStats(graph.stats);
  const prefix = config.redis.prefix;
  const attemptId = `${runId}:${job.attemptsStarted}`;
  const recordGraph = async () => {
    const d = graphStatsDelta(before, graph.stats);
    await safely(log, 'graph', () =>
      recordGraphRequests(redis, prefix, { target: target.name, byMethodStatus: d.byMethodStatus, throttled: d.throttled, throttledMs: d.throttledMs, once: attemptId }),
    );
    return d;
  };
  const run: RunRecord = { id: runId, kind: 'reconcile', name: target.name, trigger: job.data.trigger, status: 'running', startedAt: new Date(started).toISOString(), counts: {}, details: { jobId: job.id } };
  await writeRun(redis, keys, run);
  await job.updateProgress({ step: 'reconcile', target: target.name });
  try {
    const result = await reconcileTarget({
      config,
      targetName: target.name,
      redis,
      keys,
      graph,
      manual: job.data.manual,
      force: job.data.force,
      dryRun: false,
      lockWaitMs: 1000,
      // A dead holder frees the target within one worker lock duration (its job is retried by then).
      lockTtlMs: Math.max(10_000, config.worker.lockDurationMs),
      logger: log,
    });
    const { plan } = result;
    const delta = await recordGraph();
    const summary: ReconcileSummary = {
      target: target.name,
      runId,
      desired: plan.summary.desired,
      finalRanges: plan.summary.finalRanges,
      added: plan.summary.added,
      removed: plan.summary.removed,
      locations: plan.locations.map((l) => ({ displayName: l.displayName, action: l.action, size: l.size })),
      policy: plan.policy.action,
      overflow: plan.overflow.total,
      graphReads: delta.reads,
      graphWrites: delta.writes,
      consistencyWaits: result.applied?.consistency.waits ?? 0,
      consistencyWaitMs: result.applied?.consistency.waitedMs ?? 0,
      duplicatesDeleted: plan.duplicates.filter((d) => d.action === 'delete').length,
      durationMs: Date.now() - started,
    };
    await writeRun(redis, keys, {
      ...run,
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      counts: {
        desired: summary.desired,
        finalRanges: summary.finalRanges,
        added: summary.added,
        removed: summary.removed,
        overflow: summary.overflow,
        graphReads: summary.graphReads,
        graphWrites: summary.graphWrites,
        consistencyWaits: summary.consistencyWaits,
        consistencyWaitMs: summary.consistencyWaitMs,
        duplicatesDeleted: summary.duplicatesDeleted,
        durationMs: summary.durationMs,
      },
      details: {
        consistency: result.applied?.consistency.details ?? [],
        jobId: job.id,
        locations: summary.locations,
        policy: summary.policy,
        overflowBySource: plan.overflow.bySource,
        warnings: plan.warnings,
        snapshots: result.snapshots,
        timings: result.timings,
      },
    });
    await safely(log, 'run', () => recordRun(redis, prefix, { kind: 'reconcile', outcome: 'succeeded', durationMs: summary.durationMs, once: runId }));
    await safely(log, 'target', () =>
      recordTargetState(redis, prefix, {
        target: target.name,
        maxLocations: target.namedLocation.maxLocations,
        maxRangesPerLocation: target.namedLocation.maxRangesPerLocation,
        locations: plan.locations.filter((l) => l.action !== 'delete').map((l) => ({ name: l.displayName, ranges: l.size })),
        lastSuccessAt: new Date().toISOString(),
      }),
    );
    await job.updateProgress({ step: 'done', ...summary });
    log.info('reconcile finished', { ...summary, overflowBySource: plan.overflow.bySource });
    return summary;
  } catch (e) {
    const err = coerceError(e);
    if (err instanceof LockBusyError) {
      if (token === undefined) throw err;
      await job.moveToDelayed(Date.now() + LOCK_BUSY_DELAY_MS, token);
      throw new DelayedError();
    }
    const code = err instanceof SyncError ? err.code : 'ERR_UNEXPECTED';
    const delta = await recordGraph();
    if (code !== 'ERR_GRAPH_THROTTLED') {
      const status: RunStatus = code.startsWith('ERR_SAFETY_') ? 'refused' : 'failed';
      await safely(log, 'run', () => recordRun(redis, prefix, { kind: 'reconcile', outcome: status === 'refused' ? 'refused' : 'failed', durationMs: Date.now() - started, once: attemptId }));
      await writeRun(redis, keys, {
        ...run,
        status,
        finishedAt: new Date().toISOString(),
        counts: { graphReads: delta.reads, graphWrites: delta.writes, durationMs: Date.now() - started },
        error: { code, message: describeError(err) },
      });
      log.warn('reconcile did not complete', { code, error: describeError(err) });
    }
    throw err;
  }
}
