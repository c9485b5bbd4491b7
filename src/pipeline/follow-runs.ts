/**
 * Following runs to their end (`tq-entra sync --wait`, the demo, the benchmarks): wait for collect
 * jobs (and reconcile jobs queued directly), then, for every target the committed runs feed, for a
 * finished reconcile that used all of their snapshots (reconciles are deduplicated and debounced per
 * target, so the one that picks up the last commit may be a later job than the one the first commit
 * queued, and may start up to `pipeline.reconcileWindow` after it). Every wait shares one deadline;
 * each job or target ends as one `Outcome`.
 *
 * Progress, when a reporter is given: indicators read over every collect of the run (the
 * collections' totals as the whole), reconcile steps as log lines.
 */
import { Job, QueueEvents } from 'bullmq';
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Config } from '../config/schema.ts';
import { bullConnection, quietBullErrors, type Queues } from './queues.ts';
import { stateKeys, type StateKeys } from '../state/redis-keys.ts';
import { lastRunId, readRun, type RunRecord } from './run-store.ts';

export interface Outcome {
  queue: 'collect' | 'reconcile';
  jobId: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** What followRuns reports progress to (the CLI's progress bar, src/cli/progress.ts, is one). */
export interface FollowProgress {
  update(done: number, total?: number): void;
  log(line: string): void;
  done(summary?: string, outcome?: { failed: boolean }): void;
}

export interface FollowOptions {
  /** Report progress here; none: quiet. */
  progress?: FollowProgress | undefined;
}

type FollowedQueue = 'collect' | 'reconcile';
type Events = Record<FollowedQueue, QueueEvents>;

/** How often a target's last reconcile is read while waiting for one that covers the runs. */
const TARGET_POLL_MS = 300;

export async function followRuns(config: Config, queues: Queues, collectIds: string[], reconcileIds: string[], timeoutMs: number, options: FollowOptions = {}): Promise<Outcome[]> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  // BullMQ never closes a connection it was handed: keep them to disconnect at the end.
  const connections = [bullConnection(config.redis), bullConnection(config.redis)] as const;
  const events: Events = {
    collect: new QueueEvents('collect', { connection: connections[0], prefix: config.redis.prefix }),
    reconcile: new QueueEvents('reconcile', { connection: connections[1], prefix: config.redis.prefix }),
  };
  quietBullErrors(events.collect, 'collect');
  quietBullErrors(events.reconcile, 'reconcile');
  if (options.progress) reportProgress(events, options.progress);
  try {
    await Promise.all([events.collect.waitUntilReady(), events.reconcile.waitUntilReady()]);
    const collected = await Promise.all(collectIds.map((id) => waitFor(queues, events, 'collect', id, left())));
    const reconciled = await Promise.all(reconcileIds.map((id) => waitFor(queues, events, 'reconcile', id, left())));
    options.progress?.done(undefined, { failed: collected.some((o) => !o.ok) });
    const outcomes = [...collected, ...reconciled];
    const keys = stateKeys(config.redis.prefix);
    for (const [target, runIds] of runsByTarget(config, collected)) {
      outcomes.push(await waitForTargetReconcile(connections[0], keys, queues, target, runIds, deadline));
    }
    return outcomes;
  } finally {
    await Promise.all([events.collect.close(), events.reconcile.close()]);
    for (const c of connections) c.disconnect();
  }
}

async function waitFor(queues: Queues, events: Events, queue: FollowedQueue, jobId: string, timeoutMs: number): Promise<Outcome> {
  const job = await Job.fromId(queue === 'collect' ? queues.collect : queues.reconcile, jobId);
  if (!job) return { queue, jobId, ok: false, error: 'job not found (removed?)' };
  try {
    const result: unknown = await job.waitUntilFinished(events[queue], timeoutMs);
    return { queue, jobId, ok: true, result };
  } catch (e) {
    return { queue, jobId, ok: false, error: (e as Error).message };
  }
}

/** The committed runs of the collect outcomes, by the targets their collections feed. */
function runsByTarget(config: Config, collected: readonly Outcome[]): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  for (const o of collected) {
    if (!o.ok) continue;
    const r = o.result as { runId?: string; source?: string; collection?: string } | undefined;
    const settings = config.resolved.collections.find((c) => c.source === r?.source && c.collection === r?.collection);
    for (const t of settings?.targets ?? []) byTarget.set(t, [...(byTarget.get(t) ?? []), r?.runId ?? '']);
  }
  return byTarget;
}

function reportProgress(events: Events, progress: FollowProgress): void {
  const read = new Map<string, { seen: number; total: number }>();
  events.collect.on('progress', ({ jobId, data }: { jobId: string; data: unknown }) => {
    const d = data as { step?: string; seen?: number; total?: number | null };
    if (typeof d !== 'object' || d === null || typeof d.seen !== 'number') return;
    read.set(jobId, { seen: d.seen, total: typeof d.total === 'number' ? d.total : 0 });
    let seen = 0;
    let total = 0;
    for (const v of read.values()) {
      seen += v.seen;
      total += v.total;
    }
    progress.update(seen, total > 0 ? total : undefined);
  });
  events.reconcile.on('progress', ({ jobId, data }: { jobId: string; data: unknown }) => {
    const d = data as { step?: string; target?: string; locations?: unknown[]; graphWrites?: number; graphReads?: number };
    if (typeof d !== 'object' || d === null) return;
    progress.log(
      d.step === 'done'
        ? `reconcile ${jobId} (${d.target ?? ''}): done, ${d.locations?.length ?? 0} location(s), ${d.graphReads ?? 0} Graph reads, ${d.graphWrites ?? 0} writes`
        : `reconcile ${jobId} (${d.target ?? ''}): ${d.step ?? 'running'}`,
    );
  });
}

/**
 * Wait for a finished reconcile of `target` that used the snapshots of every run in `runIds`, or for
 * one that failed for good after the last of them committed. A reconcile that started before that
 * commit cannot cover it (an earlier failure, or one still running when the commit landed: the
 * producer queues another), so it settles nothing; nor does one still to start (debounced).
 */
export async function waitForTargetReconcile(redis: RedisClient, keys: StateKeys, queues: Queues, target: string, runIds: string[], deadline: number): Promise<Outcome> {
  const committedMs = await lastCommitMs(redis, keys, runIds);
  for (;;) {
    const id = await lastRunId(redis, keys, 'target', target);
    const run = id === null ? null : await readRun(redis, keys, id);
    if (run && id !== null) {
      const ended = await reconcileOutcome(queues, run, { target, runIds, committedMs });
      if (ended) return ended;
    }
    if (Date.now() > deadline) return { queue: 'reconcile', jobId: id ?? '', ok: false, error: `no finished reconcile of ${target} covering runs ${runIds.join(', ')} before the timeout` };
    await new Promise((r) => setTimeout(r, TARGET_POLL_MS));
  }
}

/** When the last of `runIds` committed (the finish time of its run record), in ms; 0 when none is known. */
async function lastCommitMs(redis: RedisClient, keys: StateKeys, runIds: readonly string[]): Promise<number> {
  let last = 0;
  for (const runId of runIds) {
    const at = Date.parse((await readRun(redis, keys, runId))?.finishedAt ?? '');
    if (Number.isFinite(at)) last = Math.max(last, at);
  }
  return last;
}

/** The outcome `run` (the target's last reconcile) settles, or undefined when it settles nothing yet. */
async function reconcileOutcome(queues: Queues, run: RunRecord, want: { target: string; runIds: readonly string[]; committedMs: number }): Promise<Outcome | undefined> {
  const { target, runIds } = want;
  const used = new Set(((run.details?.['snapshots'] as { runId?: string }[] | undefined) ?? []).map((s) => s.runId));
  if (run.status === 'succeeded' && runIds.every((r) => used.has(r))) {
    return { queue: 'reconcile', jobId: run.id, ok: true, result: { target, ...run.counts, policy: run.details?.['policy'], locations: run.details?.['locations'] } };
  }
  if (run.status !== 'failed' && run.status !== 'refused') return undefined;
  if (Date.parse(run.startedAt) < want.committedMs) return undefined;
  const jobId = run.details?.['jobId'];
  const job = typeof jobId === 'string' ? await Job.fromId(queues.reconcile, jobId) : undefined;
  const state = job ? await job.getState() : 'unknown';
  if (state !== 'failed' && state !== 'unknown') return undefined;
  return { queue: 'reconcile', jobId: run.id, ok: false, error: run.error ? `${run.error.message}` : `reconcile of ${target} ${run.status}` };
}
