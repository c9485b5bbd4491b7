/**
 * `tq-entra sync --config F (--target T | --source S [--collection ID]) [--manual] [--wait]`: enqueue a
 * run now. `--target T` runs every source collection feeding T (or reconciles T directly when nothing
 * feeds it); `--source S` runs S's collections (or only `--collection ID`). With `--wait` it follows the
 * runs and the reconciles they trigger, prints progress lines on stderr, ends with the runs' summary on
 * stdout, and exits 0 only when everything succeeded. Workers (`tq-entra worker`) do the work.
 */
import type { Command } from 'commander';
import { Job, QueueEvents } from 'bullmq';
import { UsageError } from '../errors/sync-error.ts';
import { bullConnection, createQueues, jobRetentionOf, quietBullErrors, type Queues } from '../pipeline/queues.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { collectionsOf, enqueueCollect, enqueueReconcile, feedersOf } from '../pipeline/producer.ts';
import type { Redis } from 'ioredis';
import { parseDuration } from '../config/schema.ts';
import { stateKeys, type StateKeys } from '../pipeline/redis-keys.ts';
import { configFingerprint } from '../pipeline/config-fingerprint.ts';
import { lastRunId, readRun } from '../pipeline/run-store.ts';
import { createProgress } from './progress.ts';
import type { Config } from '../config/schema.ts';
import { loadConfigForCommand, requireTarget } from './load-for-command.ts';
import type { CommandContext } from './command-context.ts';

interface SyncOptions {
  config?: string;
  target?: string;
  source?: string;
  collection?: string;
  manual?: boolean;
  wait?: boolean;
  timeout: string;
}

export interface Outcome {
  queue: 'collect' | 'reconcile';
  jobId: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

function plan(config: Config, opts: SyncOptions): { collects: { source: string; collection: string }[]; reconcileOnly: string[] } {
  if ((opts.target === undefined) === (opts.source === undefined)) throw new UsageError('give exactly one of --target T or --source S');
  if (opts.target !== undefined) {
    if (opts.collection !== undefined) throw new UsageError('--collection goes with --source, not --target');
    requireTarget(config, opts.target);
    const feeders = feedersOf(config, opts.target);
    return feeders.length > 0 ? { collects: feeders, reconcileOnly: [] } : { collects: [], reconcileOnly: [opts.target] };
  }
  const source = config.sources.find((s) => s.name === opts.source);
  if (!source) throw new UsageError(`no source named "${opts.source ?? ''}" (configured: ${config.sources.map((s) => s.name).join(', ') || 'none'})`);
  const all = collectionsOf(source).map((c) => c.id);
  if (opts.collection !== undefined && !all.includes(opts.collection)) {
    throw new UsageError(`source "${source.name}" has no collection "${opts.collection}" (configured: ${all.join(', ')})`);
  }
  return { collects: (opts.collection !== undefined ? [opts.collection] : all).map((c) => ({ source: source.name, collection: c })), reconcileOnly: [] };
}

async function waitFor(queues: Queues, events: { collect: QueueEvents; reconcile: QueueEvents }, queue: 'collect' | 'reconcile', jobId: string, timeoutMs: number): Promise<Outcome> {
  const q = queue === 'collect' ? queues.collect : queues.reconcile;
  const job = await Job.fromId(q, jobId);
  if (!job) return { queue, jobId, ok: false, error: 'job not found (removed?)' };
  try {
    const result: unknown = await job.waitUntilFinished(events[queue], timeoutMs);
    return { queue, jobId, ok: true, result };
  } catch (e) {
    return { queue, jobId, ok: false, error: (e as Error).message };
  }
}

export function registerSyncCommand(program: Command, ctx: CommandContext): void {
  program
    .command('sync')
    .description('run a sync now: collect sources, then reconcile the targets they feed')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('-t, --target <name>', 'sync every source collection feeding this target')
    .option('-s, --source <name>', 'sync this source')
    .option('--collection <id>', 'with --source: only this collection')
    .option('--manual', 'a manual run: targets with namedLocation.clearOnManualRun get exactly the desired set')
    .option('--wait', 'follow the run to its end and print its summary')
    .option('--timeout <duration>', 'with --wait: give up after this long', '30m')
    .action(boundedRedis(async (opts: SyncOptions) => {
      const config = loadConfigForCommand(opts.config);
      const work = plan(config, opts);
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === undefined) throw new UsageError(`--timeout: expected a duration such as 90s or 30m, got "${opts.timeout}"`);
      const connection = bullConnection(config.redis.url);
      const queues = createQueues(connection, config.redis.prefix, jobRetentionOf(config));
      const manual = opts.manual === true;
      try {
        const collectIds: string[] = [];
        const configFp = configFingerprint(config);
        for (const c of work.collects) collectIds.push(await enqueueCollect(queues, { ...c, manual, trigger: 'cli', configFingerprint: configFp }));
        const reconcileIds: string[] = [];
        for (const t of work.reconcileOnly) {
          reconcileIds.push(await enqueueReconcile(queues, { target: t, manual, force: false, trigger: 'cli', runIds: [], configFingerprint: configFp }));
        }
        for (let i = 0; i < collectIds.length; i += 1) {
          const c = work.collects[i];
          process.stdout.write(`queued collect ${collectIds[i] ?? ''} (${c?.source ?? ''} / ${c?.collection ?? ''})\n`);
        }
        for (const id of reconcileIds) process.stdout.write(`queued reconcile ${id} (${work.reconcileOnly.join(', ')})\n`);
        if (!opts.wait) return;
        const outcomes = await followRuns(config, queues, collectIds, reconcileIds, timeoutMs);
        process.stdout.write(`${formatOutcomes(outcomes)}\n`);
        if (outcomes.some((o) => !o.ok)) ctx.exitCode = 1;
      } finally {
        await queues.close();
        connection.disconnect();
      }
    }));
}

/**
 * Follow collect jobs to their end, then, for every target they feed, wait for a finished reconcile
 * that used all of their snapshots (reconciles are deduplicated per target, so the one that picks up
 * the last commit may be a later job than the one the first commit queued).
 */
export async function followRuns(
  config: Config,
  queues: Queues,
  collectIds: string[],
  reconcileIds: string[],
  timeoutMs: number,
  options: { quiet?: boolean } = {},
): Promise<Outcome[]> {
  const deadline = Date.now() + timeoutMs;
  // BullMQ never closes a connection it was handed: keep them to disconnect at the end.
  const connections = [bullConnection(config.redis.url), bullConnection(config.redis.url)] as const;
  const events = {
    collect: new QueueEvents('collect', { connection: connections[0], prefix: config.redis.prefix }),
    reconcile: new QueueEvents('reconcile', { connection: connections[1], prefix: config.redis.prefix }),
  };
  quietBullErrors(events.collect, 'collect');
  quietBullErrors(events.reconcile, 'reconcile');
  // One progress reporter over every collect of the run (indicators read of the collections' totals),
  // reconcile steps as log lines: a bar on a terminal, throttled plain lines otherwise.
  const progress = options.quiet ? undefined : createProgress({ label: 'collect', unit: 'indicators' });
  const read = new Map<string, { seen: number; total: number }>();
  events.collect.on('progress', ({ jobId, data }: { jobId: string; data: unknown }) => {
    const d = data as { step?: string; seen?: number; total?: number | null };
    if (!progress || typeof d !== 'object' || d === null || typeof d.seen !== 'number') return;
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
    if (!progress || typeof d !== 'object' || d === null) return;
    progress.log(
      d.step === 'done'
        ? `reconcile ${jobId} (${d.target ?? ''}): done, ${d.locations?.length ?? 0} location(s), ${d.graphReads ?? 0} Graph reads, ${d.graphWrites ?? 0} writes`
        : `reconcile ${jobId} (${d.target ?? ''}): ${d.step ?? 'running'}`,
    );
  });
  try {
    await Promise.all([events.collect.waitUntilReady(), events.reconcile.waitUntilReady()]);
    const outcomes: Outcome[] = [];
    const collectOutcomes = await Promise.all(collectIds.map((id) => waitFor(queues, events, 'collect', id, Math.max(1, deadline - Date.now()))));
    outcomes.push(...collectOutcomes);
    outcomes.push(...(await Promise.all(reconcileIds.map((id) => waitFor(queues, events, 'reconcile', id, Math.max(1, deadline - Date.now()))))));
    const runsByTarget = new Map<string, string[]>();
    for (const o of collectOutcomes) {
      if (!o.ok) continue;
      const r = o.result as { runId?: string; source?: string; collection?: string } | undefined;
      const source = config.sources.find((s) => s.name === r?.source);
      const col = source ? collectionsOf(source).find((c) => c.id === r?.collection) : undefined;
      for (const t of col?.targets ?? []) runsByTarget.set(t, [...(runsByTarget.get(t) ?? []), r?.runId ?? '']);
    }
    const redis = connections[0];
    const keys = stateKeys(config.redis.prefix);
    progress?.done(undefined, { failed: collectOutcomes.some((o) => !o.ok) });
    for (const [target, runIds] of runsByTarget) outcomes.push(await waitForTargetReconcile(redis, keys, queues, target, runIds, deadline));
    return outcomes;
  } finally {
    await Promise.all([events.collect.close(), events.reconcile.close()]);
    for (const c of connections) c.disconnect();
  }
}

async function waitForTargetReconcile(redis: Redis, keys: StateKeys, queues: Queues, target: string, runIds: string[], deadline: number): Promise<Outcome> {
  for (;;) {
    const id = await lastRunId(redis, keys, 'target', target);
    const run = id === null ? null : await readRun(redis, keys, id);
    if (run && id !== null) {
      const used = new Set(((run.details?.['snapshots'] as { runId?: string }[] | undefined) ?? []).map((s) => s.runId));
      if (run.status === 'succeeded' && runIds.every((r) => used.has(r))) {
        return { queue: 'reconcile', jobId: id, ok: true, result: { target, ...run.counts, policy: run.details?.['policy'], locations: run.details?.['locations'] } };
      }
      if (run.status === 'failed' || run.status === 'refused') {
        const jobId = run.details?.['jobId'];
        const job = typeof jobId === 'string' ? await Job.fromId(queues.reconcile, jobId) : undefined;
        const state = job ? await job.getState() : 'unknown';
        if (state === 'failed' || state === 'unknown') {
          return { queue: 'reconcile', jobId: id, ok: false, error: run.error ? `${run.error.message}` : `reconcile of ${target} ${run.status}` };
        }
      }
    }
    if (Date.now() > deadline) return { queue: 'reconcile', jobId: id ?? '', ok: false, error: `no finished reconcile of ${target} covering runs ${runIds.join(', ')} before the timeout` };
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function formatOutcomes(outcomes: readonly Outcome[]): string {
  return outcomes
    .map((o) => `${o.ok ? 'OK    ' : 'FAILED'} ${o.queue} ${o.jobId}: ${o.ok ? JSON.stringify(o.result) : o.error ?? ''}`)
    .join('\n');
}
