/**
 * One attempt of a reconcile job: the target, its Graph client (one per configured target per process:
 * the credential caches its token, and the client waits out the tenant's 429 pauses: 'wait' mode),
 * the run id (made once per job and kept in its data, so every attempt writes the same run record),
 * the Graph counters at the start (what this attempt did is reported as a delta, once per attempt id).
 */
import { createGraphClient } from '../../../graph/graph-client.ts';
import type { GraphClient, GraphRequestStats } from '../../../graph/graph-types.ts';
import type { TargetConfig } from '../../../config/schema.ts';
import { findTarget } from '../../../config/find-target.ts';
import type { Logger } from '../../../observability/logger.ts';
import { recordGraphRequests } from '../../../observability/metrics-store.ts';
import type { ReconcileJobData } from '../../queues.ts';
import { newRunId } from '../../run-ids.ts';
import type { RunRecord } from '../../run-store.ts';
import { graphStatsDelta, safely, snapshotStats } from '../record-metrics.ts';
import type { StageDeps } from '../stage-deps.ts';
import type { StageJob } from '../stage-job.ts';

export interface ReconcileAttempt {
  target: TargetConfig;
  graph: GraphClient;
  runId: string;
  /** `<runId>:<attempts started>`: metrics of this attempt are counted once. */
  attemptId: string;
  log: Logger;
  startedMs: number;
  /** The Graph client's counters when the attempt started. */
  before: GraphRequestStats;
  /** The run record as first written (status running). */
  record: RunRecord;
}

const clients = new WeakMap<TargetConfig, GraphClient>();

function graphFor(target: TargetConfig, deps: StageDeps): GraphClient {
  let c = clients.get(target);
  if (!c) {
    c = createGraphClient(target, { redis: deps.redis, prefix: deps.config.redis.prefix, onThrottle: 'wait' });
    clients.set(target, c);
  }
  return c;
}

async function ensureRunId(job: StageJob<ReconcileJobData>): Promise<string> {
  if (job.data.runId !== undefined) return job.data.runId;
  const runId = newRunId('reconcile');
  await job.updateData({ ...job.data, runId });
  return runId;
}

export async function openAttempt(job: StageJob<ReconcileJobData>, deps: StageDeps): Promise<ReconcileAttempt> {
  const target = findTarget(deps.config, job.data.target);
  const graph = graphFor(target, deps);
  const runId = await ensureRunId(job);
  const startedMs = Date.now();
  const record: RunRecord = {
    id: runId,
    kind: 'reconcile',
    name: target.name,
    trigger: job.data.trigger,
    status: 'running',
    startedAt: new Date(startedMs).toISOString(),
    counts: {},
    details: { jobId: job.id },
  };
  const log = deps.logger.child({ runId, target: target.name });
  return { target, graph, runId, attemptId: `${runId}:${job.attemptsStarted}`, log, startedMs, before: snapshotStats(graph.stats), record };
}

/** What this attempt asked of Graph so far, recorded in the metrics store (once per attempt). */
export async function recordGraph(attempt: ReconcileAttempt, deps: StageDeps): Promise<GraphRequestStats> {
  const d = graphStatsDelta(attempt.before, attempt.graph.stats);
  const once = attempt.attemptId;
  await safely(deps, attempt.log, 'graph', () =>
    recordGraphRequests(deps.redis, deps.config.redis.prefix, { target: attempt.target.name, byMethodStatus: d.byMethodStatus, throttled: d.throttled, throttledMs: d.throttledMs, once }),
  );
  return d;
}
