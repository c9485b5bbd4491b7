/**
 * How a reconcile attempt ends up in the run store and the metrics: a succeeded run (the summary,
 * counts, per-location details, step timings of reconcileTarget: desiredMs, readMs, planMs, applyMs;
 * the ranges in removal grace: counts inGrace and graceExpired, and details.grace with the first
 * GRACE_EXAMPLES held ranges, soonest expiry first, each with its expiry; ThreatQ's whitelist: counts
 * whitelistRanges (ranges it held) and whitelistCut (desired ranges it cut), details.whitelist per
 * source collection) or a failed/refused one (its code and a secret-free message). An attempt still
 * throttled by Graph is not recorded as failed: its job is delayed for the tenant's block and runs
 * again after it.
 */
import { errorCodeOf } from '../../../errors/sync-error.ts';
import { GraphThrottledError } from '../../../graph/errors/graph-throttled-error.ts';
import { SafetyError } from '../../../reconcile/errors/safety-error.ts';
import { recordRun, recordTargetState } from '../../../observability/metrics-store.ts';
import type { ReconcileResult } from '../../../reconcile/reconcile-target.ts';
import { writeRun, type RunStatus } from '../../run-store.ts';
import { safely } from '../record-metrics.ts';
import type { StageDeps } from '../stage-deps.ts';
import { recordGraph, type ReconcileAttempt } from './reconcile-attempt.ts';

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
  /** Ranges held in removal grace after the run, and ranges removed because their grace ran out. */
  inGrace: number;
  graceExpired: number;
  durationMs: number;
}

/** Held ranges a run record names (the plan's JSON has them all). */
const GRACE_EXAMPLES = 20;

async function summarize(attempt: ReconcileAttempt, result: ReconcileResult, deps: StageDeps): Promise<ReconcileSummary> {
  const { plan } = result;
  const delta = await recordGraph(attempt, deps);
  return {
    target: attempt.target.name,
    runId: attempt.runId,
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
    inGrace: plan.grace.held.length,
    graceExpired: plan.grace.expired.length,
    durationMs: Date.now() - attempt.startedMs,
  };
}

/** Record a succeeded reconcile (run record, run and target metrics); returns its summary. */
export async function recordSucceeded(attempt: ReconcileAttempt, result: ReconcileResult, job: { id?: string | undefined }, deps: StageDeps): Promise<ReconcileSummary> {
  const { redis, keys } = deps;
  const { plan } = result;
  const summary = await summarize(attempt, result, deps);
  const { desired, finalRanges, added, removed, overflow, graphReads, graphWrites, consistencyWaits, consistencyWaitMs, duplicatesDeleted, inGrace, graceExpired, durationMs } = summary;
  await writeRun(redis, keys, {
    ...attempt.record,
    status: 'succeeded',
    finishedAt: new Date().toISOString(),
    counts: {
      desired,
      finalRanges,
      added,
      removed,
      overflow,
      graphReads,
      graphWrites,
      consistencyWaits,
      consistencyWaitMs,
      duplicatesDeleted,
      inGrace,
      graceExpired,
      durationMs,
      whitelistRanges: result.whitelist.ranges,
      whitelistCut: result.whitelist.cut,
    },
    details: {
      consistency: result.applied?.consistency.details ?? [],
      jobId: job.id,
      locations: summary.locations,
      policy: summary.policy,
      overflowBySource: plan.overflow.bySource,
      warnings: plan.warnings,
      snapshots: result.snapshots,
      whitelist: result.whitelist.collections,
      timings: result.timings,
      grace: { graceMs: plan.grace.graceMs, held: plan.grace.held.slice(0, GRACE_EXAMPLES).map(({ cidr, expiresAt }) => ({ cidr, expiresAt })) },
    },
  });
  await recordSucceededMetrics(attempt, result, summary, deps);
  return summary;
}

async function recordSucceededMetrics(attempt: ReconcileAttempt, result: ReconcileResult, summary: ReconcileSummary, deps: StageDeps): Promise<void> {
  const { redis } = deps;
  const prefix = deps.config.redis.prefix;
  const { target, log } = attempt;
  await safely(deps, log, 'run', () => recordRun(redis, prefix, { kind: 'reconcile', outcome: 'succeeded', durationMs: summary.durationMs, once: attempt.runId }));
  await safely(deps, log, 'target', () =>
    recordTargetState(redis, prefix, {
      target: target.name,
      maxLocations: target.namedLocation.maxLocations,
      maxRangesPerLocation: target.namedLocation.maxRangesPerLocation,
      locations: result.plan.locations.filter((l) => l.action !== 'delete').map((l) => ({ name: l.displayName, ranges: l.size })),
      lastSuccessAt: new Date().toISOString(),
    }),
  );
}

/** Record a reconcile that did not complete: refused (a safety check) or failed; a throttled one is not. */
export async function recordFailed(attempt: ReconcileAttempt, err: Error, deps: StageDeps): Promise<void> {
  const { redis, keys } = deps;
  const code = errorCodeOf(err);
  const delta = await recordGraph(attempt, deps);
  if (err instanceof GraphThrottledError) return;
  const durationMs = () => Date.now() - attempt.startedMs;
  const status: RunStatus = err instanceof SafetyError ? 'refused' : 'failed';
  await safely(deps, attempt.log, 'run', () =>
    recordRun(redis, deps.config.redis.prefix, { kind: 'reconcile', outcome: status === 'refused' ? 'refused' : 'failed', durationMs: durationMs(), once: attempt.attemptId }),
  );
  await writeRun(redis, keys, {
    ...attempt.record,
    status,
    finishedAt: new Date().toISOString(),
    counts: { graphReads: delta.reads, graphWrites: delta.writes, durationMs: durationMs() },
    error: { code, message: deps.describeError(err) },
  });
  attempt.log.warn('reconcile did not complete', { code, error: deps.describeError(err) });
}
