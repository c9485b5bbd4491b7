/**
 * `tq-entra sync --config F (--target T | --source S [--collection ID]) [--manual] [--wait]`: enqueue a
 * run now. `--target T` runs every source collection feeding T (or reconciles T directly when nothing
 * feeds it); `--source S` runs S's collections (or only `--collection ID`). With `--wait` it follows the
 * runs and the reconciles they trigger, prints progress lines on stderr, ends with the runs' summary on
 * stdout, and exits 0 only when everything succeeded. Workers (`tq-entra worker`) do the work.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import { bullConnection, createQueues, jobRetentionOf, type Queues } from '../pipeline/queues.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { collectionsOf, feedersOf } from '../config/collections.ts';
import { enqueueCollect, enqueueReconcile } from '../pipeline/producer.ts';
import { parseDuration } from '../config/schema.ts';
import { configFingerprint } from '../pipeline/config-fingerprint.ts';
import { followRuns, type Outcome } from '../pipeline/follow-runs.ts';
import { createProgress } from './progress.ts';
import type { Config } from '../config/schema.ts';
import { findSource, findTarget } from '../config/find-target.ts';
import { loadConfigForCommand } from './load-for-command.ts';
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

interface SyncWork {
  collects: { source: string; collection: string }[];
  /** Targets nothing feeds: reconciled directly. */
  reconcileOnly: string[];
}

function plan(config: Config, opts: SyncOptions): SyncWork {
  if ((opts.target === undefined) === (opts.source === undefined)) throw new UsageError('give exactly one of --target T or --source S');
  if (opts.target !== undefined) {
    if (opts.collection !== undefined) throw new UsageError('--collection goes with --source, not --target');
    findTarget(config, opts.target);
    const feeders = feedersOf(config, opts.target);
    return feeders.length > 0 ? { collects: feeders, reconcileOnly: [] } : { collects: [], reconcileOnly: [opts.target] };
  }
  const source = findSource(config, opts.source ?? '');
  const all = collectionsOf(source).map((c) => c.id);
  if (opts.collection !== undefined && !all.includes(opts.collection)) {
    throw new UsageError(`source "${source.name}" has no collection "${opts.collection}" (configured: ${all.join(', ')})`);
  }
  return { collects: (opts.collection !== undefined ? [opts.collection] : all).map((c) => ({ source: source.name, collection: c })), reconcileOnly: [] };
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
    .action(boundedRedis((opts: SyncOptions) => runSync(opts, ctx)));
}

async function runSync(opts: SyncOptions, ctx: CommandContext): Promise<void> {
  const config = loadConfigForCommand(opts.config);
  const work = plan(config, opts);
  const timeoutMs = parseDuration(opts.timeout);
  if (timeoutMs === undefined) throw new UsageError(`--timeout: expected a duration such as 90s or 30m, got "${opts.timeout}"`);
  const connection = bullConnection(config.redis);
  const queues = createQueues(connection, config.redis.prefix, jobRetentionOf(config));
  try {
    const { collectIds, reconcileIds } = await enqueueWork(config, queues, work, opts.manual === true);
    if (!opts.wait) return;
    const progress = createProgress({ label: 'collect', unit: 'indicators' });
    const outcomes = await followRuns(config, queues, collectIds, reconcileIds, timeoutMs, { progress });
    process.stdout.write(`${formatOutcomes(outcomes)}\n`);
    if (outcomes.some((o) => !o.ok)) ctx.exitCode = 1;
  } finally {
    await queues.close();
    connection.disconnect();
  }
}

/** Enqueue the planned collects and reconciles (through the producer) and say so on stdout. */
async function enqueueWork(config: Config, queues: Queues, work: SyncWork, manual: boolean): Promise<{ collectIds: string[]; reconcileIds: string[] }> {
  const configFp = configFingerprint(config);
  const collectIds: string[] = [];
  for (const c of work.collects) collectIds.push(await enqueueCollect(queues, { ...c, manual, trigger: 'cli', configFingerprint: configFp }));
  const reconcileIds: string[] = [];
  for (const t of work.reconcileOnly) {
    reconcileIds.push(await enqueueReconcile(queues, { target: t, manual, force: false, trigger: 'cli', runIds: [], configFingerprint: configFp }));
  }
  work.collects.forEach((c, i) => process.stdout.write(`queued collect ${collectIds[i] ?? ''} (${c.source} / ${c.collection})\n`));
  for (const id of reconcileIds) process.stdout.write(`queued reconcile ${id} (${work.reconcileOnly.join(', ')})\n`);
  return { collectIds, reconcileIds };
}

export function formatOutcomes(outcomes: readonly Outcome[]): string {
  return outcomes
    .map((o) => `${o.ok ? 'OK    ' : 'FAILED'} ${o.queue} ${o.jobId}: ${o.ok ? JSON.stringify(o.result) : o.error ?? ''}`)
    .join('\n');
}
