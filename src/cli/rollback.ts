/**
 * `tq-entra rollback --target T --to RUN [--yes] [--force] [--json]` and `tq-entra unpin --target T`.
 *
 * rollback: makes Entra hold what run RUN left in the target's named locations, rebuilt from the
 * history's diffs (state/history-store.ts reconstructRun; a content hash that no longer matches, i.e.
 * Entra was changed outside the service since, is shown as a warning). It goes through the same
 * reconcile as `apply` (src/reconcile/reconcile-target.ts), with every safety guard: safety.neverBlock
 * and ThreatQ's whitelist are still taken out, the mass-removal and empty-feed guards refuse unless
 * `--force`, the tenant guard always. Without `--yes` it prints the plan and writes nothing. With
 * `--yes` it takes the target lock (waiting up to a minute for a running reconcile), writes the pin
 * (state/pin-store.ts) under it only when the plan carries no refusal, applies, and records the run in
 * the history as kind `rollback`. From then on every reconcile of the target, scheduled ones included,
 * takes the pinned ranges as desired (reconcile-target.ts, said in the plan's warnings and the log)
 * until `tq-entra unpin`. No worker is needed: it talks to Graph and Redis directly.
 *
 * unpin: removes the pin under the target lock; the next reconcile (scheduled, or `tq-entra sync`)
 * takes desired from the committed snapshots again.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { findTarget } from '../config/find-target.ts';
import { UsageError } from '../errors/sync-error.ts';
import { createGraphClient } from '../graph/graph-client.ts';
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Config } from '../config/schema.ts';
import { notify } from '../notify/notify.ts';
import { getLogger, type Logger } from '../observability/logger.ts';
import type { Queues } from '../pipeline/queues.ts';
import { newRunId } from '../pipeline/run-ids.ts';
import { formatApplyText, formatPlanText } from '../reconcile/format-plan.ts';
import { reconcileTarget, type ReconcileResult } from '../reconcile/reconcile-target.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { withCommandRedis } from './with-command-redis.ts';
import { reconstructRun, type Reconstructed } from '../state/history-store.ts';
import { clearPin, readPin } from '../state/pin-store.ts';
import { stateKeys } from '../state/redis-keys.ts';
import { acquireTargetLock } from '../state/target-lock.ts';
import { EXIT_FAILURE, type CommandContext } from './command-context.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import { writeJson } from './plan.ts';

interface RollbackOptions {
  config?: string;
  target: string;
  to: string;
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

/** How long rollback and unpin wait for a reconcile that holds the target lock. */
const LOCK_WAIT_MS = 60_000;

function who(): string {
  try {
    return process.env['TQ_ENTRA_OPERATOR'] ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}

function header(target: string, rec: Reconstructed): string {
  const lines = [`Rollback of target "${target}" to run ${rec.entry.run} (recorded ${rec.entry.at}): ${rec.ranges.length} range(s)`];
  if (!rec.verified) lines.push(`Warning: the rebuilt content does not match the hash recorded for ${rec.entry.run}: Entra was changed outside the service between runs; the rollback restores the content as it stood just before the next recorded run`);
  return `${lines.join('\n')}\n`;
}

/** The one call site of the rollback notification: a log line, and the `rollback` event queued (src/notify; never sent here). */
async function notifyRollback(config: Config, redis: RedisClient, queues: Queues, log: Logger, event: { target: string; rec: Reconstructed; result: ReconcileResult; run: string; by: string }): Promise<void> {
  const { target, rec, result, run, by } = event;
  const { added, removed, finalRanges } = result.plan.summary;
  log.warn('rollback applied', { event: 'rollback', target, toRun: rec.entry.run, run, by, ranges: finalRanges, added, removed, pinned: true });
  await notify({ config, redis, queues, logger: log }, { kind: 'rollback', target, toRun: rec.entry.run, added, removed, by });
}

async function runRollback(opts: RollbackOptions, ctx: CommandContext): Promise<void> {
  const config = loadConfigForCommand(opts.config);
  const target = findTarget(config, opts.target);
  const log = getLogger('rollback');
  await withCommandRedis(config, async ({ redis, queues }) => {
    const keys = stateKeys(config.redis.prefix);
    const rec = await reconstructRun(redis, keys, target.name, opts.to);
    if (!rec) throw new UsageError(`--to: run "${opts.to}" is not in the history of target "${target.name}" (tq-entra history --target ${target.name} lists the runs kept)`);
    const graph = createGraphClient(target, { redis, prefix: config.redis.prefix, onThrottle: 'wait' });
    const base = { config, targetName: target.name, redis, keys, graph, manual: false, force: opts.force === true, logger: log };
    const out = (text: string): boolean => opts.json === true || process.stdout.write(text);
    out(header(target.name, rec));
    if (!opts.yes) {
      const desired = rec.ranges.map((cidr) => ({ cidr, weight: 0, sources: [`rollback:${rec.entry.run}`] }));
      const result = await reconcileTarget({ ...base, desired, dryRun: true });
      if (opts.json) await writeJson(process.stdout, { rollback: { to: rec.entry.run, ranges: rec.ranges.length, verified: rec.verified, applied: false }, plan: result.plan });
      out(`${formatPlanText(result.plan)}Nothing written. Run again with --yes to apply this plan and pin the target to run ${rec.entry.run} (until tq-entra unpin --target ${target.name}).\n`);
      if (result.plan.refusals.length > 0) ctx.exitCode = EXIT_FAILURE;
      return;
    }
    const by = who();
    const run = newRunId('reconcile');
    const pinTo = { run: rec.entry.run, at: new Date().toISOString(), by, ranges: rec.ranges };
    const result = await reconcileTarget({ ...base, pinTo, history: { run, kind: 'rollback' }, dryRun: false, lockWaitMs: LOCK_WAIT_MS });
    await notifyRollback(config, redis, queues as Queues, log, { target: target.name, rec, result, run, by });
    if (opts.json) await writeJson(process.stdout, { rollback: { to: rec.entry.run, ranges: rec.ranges.length, verified: rec.verified, applied: true, run, pinned: true }, plan: result.plan, applied: result.applied });
    if (result.applied) out(formatApplyText(result.plan, result.applied));
    out(`Target "${target.name}" is pinned to run ${rec.entry.run}: every reconcile keeps this content until tq-entra unpin --target ${target.name}.\n`);
  }, { queues: true });
}

async function runUnpin(opts: { config?: string; target: string }): Promise<void> {
  const config = loadConfigForCommand(opts.config);
  const target = findTarget(config, opts.target);
  await withCommandRedis(config, async ({ redis }) => {
    const keys = stateKeys(config.redis.prefix);
    const lock = await acquireTargetLock(redis, keys, target.name, { ttlMs: 30_000, waitMs: LOCK_WAIT_MS });
    try {
      const pin = await readPin(redis, keys, target.name);
      if (!pin) {
        process.stdout.write(`Target "${target.name}" is not pinned.\n`);
        return;
      }
      await clearPin(redis, keys, lock);
      getLogger('rollback').warn('target unpinned', { event: 'unpin', target: target.name, pinnedTo: pin.run, by: who() });
      process.stdout.write(`Target "${target.name}" unpinned (was pinned to run ${pin.run}): the next reconcile takes its desired ranges from the committed snapshots again.\n`);
    } finally {
      await lock.release();
    }
  });
}

export function registerRollbackCommand(program: Command, ctx: CommandContext): void {
  program
    .command('rollback')
    .description('make Entra hold what a recorded run left, then pin the target to it (plan shown first; --yes to apply)')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target')
    .requiredOption('--to <run>', 'the run id to go back to (tq-entra history lists them)')
    .option('--yes', 'apply the plan and pin the target (without it: show the plan, write nothing)')
    .option('--force', 'override the empty-feed and removal-fraction safety guards')
    .option('--json', 'print the plan (and the result) as JSON')
    .action(boundedRedis((opts: RollbackOptions) => runRollback(opts, ctx)));
}

export function registerUnpinCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('unpin')
    .description('remove the pin a rollback set: reconciles follow the committed snapshots again')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target')
    .action(boundedRedis((opts: { config?: string; target: string }) => runUnpin(opts)));
}
