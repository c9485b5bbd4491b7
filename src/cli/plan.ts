/**
 * `tq-entra plan --config F --target T [--indicators FILE] [--manual] [--json]`: compute the reconcile
 * of one target and print the diff (ranges added and removed per location, locations created and
 * deleted, policy fields changed, overflow, refusals). Reads Graph and Redis; writes nothing.
 * Exit 0 when the plan could be applied, 1 when a safety guard would refuse it (or on failure), 2 on
 * usage/configuration errors.
 *
 * `runReconcileCommand` is shared with `apply` (src/cli/apply.ts). Desired ranges: with
 * `--indicators FILE` the file (one indicator per line, `#` comments) parsed under the target's
 * safety options is the only source; otherwise the committed snapshots in Redis. Redis from
 * `config.redis`; Graph via the target's credential, waiting through throttling.
 */
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import type { Config, TargetConfig } from '../config/schema.ts';
import { createGraphClient } from '../graph/graph-client.ts';
import { stateKeys } from '../pipeline/redis-keys.ts';
import { desiredFromIndicatorsFile } from '../reconcile/desired-ranges.ts';
import { formatApplyText, formatPlanText } from '../reconcile/format-plan.ts';
import type { DesiredRange } from '../reconcile/plan-types.ts';
import { reconcileTarget } from '../reconcile/reconcile-target.ts';
import { loadConfigForCommand, requireTarget } from './load-for-command.ts';
import { EXIT_FAILURE, type CommandContext } from './main.ts';

export interface ReconcileCommandOptions {
  config?: string;
  target: string;
  indicators?: string;
  manual?: boolean;
  force?: boolean;
  json?: boolean;
}

async function indicatorsDesired(path: string, target: TargetConfig): Promise<DesiredRange[]> {
  const r = await desiredFromIndicatorsFile(path, target);
  const reasons = Object.entries(r.rejections)
    .map(([code, t]) => `${code} ${t?.count ?? 0} (e.g. ${(t?.examples ?? []).slice(0, 3).join(', ')})`)
    .join('; ');
  process.stderr.write(
    `${path}: ${r.accepted} indicator(s) accepted, ${r.rejected} rejected${reasons ? `: ${reasons}` : ''} -> ${r.desired.length} range(s)\n`,
  );
  return r.desired;
}

export async function runReconcileCommand(opts: ReconcileCommandOptions, ctx: CommandContext, apply: boolean): Promise<void> {
  const config: Config = loadConfigForCommand(opts.config);
  const target = requireTarget(config, opts.target);
  const desired = opts.indicators !== undefined ? await indicatorsDesired(opts.indicators, target) : undefined;
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
    const graph = createGraphClient(target, { redis, prefix: config.redis.prefix, onThrottle: 'wait' });
    const result = await reconcileTarget({
      config,
      targetName: target.name,
      redis,
      keys: stateKeys(config.redis.prefix),
      graph,
      ...(desired ? { desired } : {}),
      manual: opts.manual === true,
      force: opts.force === true,
      dryRun: !apply,
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ...result, snapshots: result.snapshots }, null, 2)}\n`);
    } else if (result.applied) {
      process.stdout.write(formatApplyText(result.plan, result.applied));
    } else {
      process.stdout.write(formatPlanText(result.plan));
    }
    if (!apply && result.plan.refusals.length > 0) ctx.exitCode = EXIT_FAILURE;
  } finally {
    redis.disconnect();
  }
}

export function registerPlanCommand(program: Command, ctx: CommandContext): void {
  program
    .command('plan')
    .description('show what a reconcile of one target would change in Entra (writes nothing)')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target to plan')
    .option('-i, --indicators <file>', 'use this file (one indicator per line) as the only source for this run')
    .option('--manual', 'plan a manual run (honours namedLocation.clearOnManualRun)')
    .option('--json', 'print the plan as JSON')
    .action((opts: ReconcileCommandOptions) => runReconcileCommand(opts, ctx, false));
}
