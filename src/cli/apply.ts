/**
 * `tq-entra apply --config F --target T [--indicators FILE] [--ignore-pin] [--manual] [--force] [--json]`: reconcile
 * one target now, without the queue: plan as `tq-entra plan` does, then perform it under the target
 * lock and print what was done. `--force` overrides the empty-feed and removal-fraction guards (never
 * the wrong-tenant guard). `--indicators` on a target pinned by `tq-entra rollback` is refused (exit 2,
 * naming the pin and `tq-entra unpin`) unless `--ignore-pin`. Exit 0 on success, 1 on failure (typed error code and Microsoft's message),
 * 2 on usage/configuration errors.
 */
import type { Command } from 'commander';
import type { CommandContext } from './command-context.ts';
import { runReconcileCommand, type ReconcileCommandOptions } from './plan.ts';
import { boundedRedis } from '../redis/redis-connection.ts';

export function registerApplyCommand(program: Command, ctx: CommandContext): void {
  program
    .command('apply')
    .description('reconcile one target now: write the planned changes to Entra and print what was done')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target to reconcile')
    .option('-i, --indicators <file>', 'use this file (one indicator per line) as the only source for this run')
    .option('--ignore-pin', 'with --indicators: apply the file even though the target is pinned by tq-entra rollback (the pin stays)')
    .option('--manual', 'a manual run (honours namedLocation.clearOnManualRun)')
    .option('--force', 'override the empty-feed and removal-fraction safety guards')
    .option('--json', 'print the plan and the result as JSON')
    .action(boundedRedis((opts: ReconcileCommandOptions) => runReconcileCommand(opts, ctx, true)));
}
