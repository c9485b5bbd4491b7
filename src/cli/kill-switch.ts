/**
 * `tq-entra disable --target T --reason "…" [--report-only] [--by NAME] [--wait SECONDS]` and
 * `tq-entra enable --target T [--by NAME] [--reason "…"] [--wait SECONDS]`: the kill switch
 * (src/pipeline/kill-switch.ts). Talks to Redis and Graph directly, never through the queue, so it
 * works with the queue backed up or no worker running.
 *
 * disable: records who (`--by`, default the OS user), when and why, then switches the target's policy
 * to `disabled` (`--report-only`: `enabledForReportingButNotEnforced`) in one PATCH under the target
 * lock; reconciles then keep the named locations up to date but never re-enable the policy. enable:
 * clears the switch and PATCHes the configured `policy.state` back (an `enabled` one with checks due:
 * report-only, then a checked reconcile, src/pipeline/kill-switch.ts; a refusal exits 1). `--wait`: how long to wait for a
 * running reconcile to release the target before taking its lock over (default 30).
 * Exit 0 done, 1 failure (with disable, the switch is recorded even then: the next reconcile applies
 * it), 2 usage or configuration error.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import { engageKillSwitch, KILL_SWITCH_WAIT_MS, releaseKillSwitch, type KillSwitchOutcome } from '../pipeline/kill-switch.ts';
import { runKillSwitchNotified } from '../notify/notify.ts';
import { getLogger } from '../observability/logger.ts';
import type { Queues } from '../pipeline/queues.ts';
import { withCommandRedis } from './with-command-redis.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { findTarget } from '../config/find-target.ts';
import type { Config } from '../config/schema.ts';
import type { RedisClient } from '../redis/redis-connection.ts';
import type { CommandContext } from './command-context.ts';
import { loadConfigForCommand } from './load-for-command.ts';

interface KillSwitchOptions {
  config?: string;
  target: string;
  reason?: string;
  reportOnly?: boolean;
  by?: string;
  wait?: string;
}

function operator(by: string | undefined): string {
  if (by !== undefined) {
    if (by.trim() === '') throw new UsageError('--by must not be empty');
    return by.trim();
  }
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

function waitMs(text: string | undefined): number {
  if (text === undefined) return KILL_SWITCH_WAIT_MS;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || n > 3600) throw new UsageError(`--wait must be a number of seconds from 0 to 3600 (got "${text}")`);
  return Math.round(n * 1000);
}

function lockText(o: KillSwitchOutcome): string {
  switch (o.lock) {
    case 'free':
      return '';
    case 'waited':
      return ' (waited for a running reconcile to finish)';
    case 'taken over':
      return ' (took the target lock over from a reconcile that did not finish in time)';
    default: {
      const never: never = o.lock;
      throw new Error(`unhandled lock outcome ${String(never)}`);
    }
  }
}

/** Run `fn` with the configuration and Redis and raise the kill-switch notification, failed or not (queued, never sent here). */
async function withRedis(opts: KillSwitchOptions, fn: (config: Config, redis: RedisClient) => Promise<KillSwitchOutcome>, who: { by: string; reason?: string }): Promise<void> {
  const config = loadConfigForCommand(opts.config);
  findTarget(config, opts.target);
  await withCommandRedis(
    config,
    async ({ redis, queues }) => {
      await runKillSwitchNotified({ config, redis, queues: queues as Queues, logger: getLogger('kill-switch') }, opts.target, who, () => fn(config, redis));
    },
    { queues: true },
  );
}

async function runDisable(opts: KillSwitchOptions): Promise<void> {
  const reason = opts.reason?.trim() ?? '';
  if (reason === '') throw new UsageError('--reason is required: say why enforcement is stopped (it is recorded and shown by plan)');
  const by = operator(opts.by);
  const wait = waitMs(opts.wait);
  await withRedis(opts, async (config, redis) => {
    const state = opts.reportOnly ? 'enabledForReportingButNotEnforced' : 'disabled';
    const o = await engageKillSwitch({ config, redis, targetName: opts.target, by, reason, state, waitMs: wait });
    const what = o.policy ? `policy ${o.policy.id} is now ${o.policy.state}` : `no policy exists yet: it will be created ${state}`;
    process.stdout.write(`kill switch engaged for target "${o.target}" by ${by}: ${what}${lockText(o)}\n`);
    process.stdout.write(`reconciles keep the named locations up to date and leave the policy ${state}; \`tq-entra enable --target ${o.target}\` restores it\n`);
    return o;
  }, { by, reason });
}

async function runEnable(opts: KillSwitchOptions): Promise<void> {
  const by = operator(opts.by);
  const wait = waitMs(opts.wait);
  await withRedis(opts, async (config, redis) => {
    const o = await releaseKillSwitch({ config, redis, targetName: opts.target, by, waitMs: wait, ...(opts.reason ? { reason: opts.reason } : {}) });
    if (!o.changed) {
      process.stdout.write(`kill switch not engaged for target "${o.target}": nothing to do\n`);
      return o;
    }
    const what = o.policy ? `policy ${o.policy.id} is back to ${o.policy.state}` : 'no policy exists yet: the next reconcile creates it as configured';
    process.stdout.write(`kill switch released for target "${o.target}" by ${by}: ${what}${lockText(o)}\n`);
    return o;
  }, { by, ...(opts.reason ? { reason: opts.reason } : {}) });
}

export function registerDisableCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('disable')
    .description("kill switch: stop enforcing a target's blocking policy now (one Graph request; no worker needed)")
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target whose policy to disable')
    .option('-r, --reason <text>', 'why (required; recorded, logged and shown by plan)')
    .option('--report-only', 'switch to report-only (enabledForReportingButNotEnforced) instead of disabled')
    .option('--by <name>', 'who is asking (default: the OS user)')
    .option('--wait <seconds>', `how long to wait for a running reconcile before taking its lock over (default ${KILL_SWITCH_WAIT_MS / 1000})`)
    .action(boundedRedis((opts: KillSwitchOptions) => runDisable(opts)));
}

export function registerEnableCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('enable')
    .description("release the kill switch: restore the target's configured policy state (one Graph request, or a reconcile through the lockout guard and What If when they apply)")
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target whose policy to restore')
    .option('-r, --reason <text>', 'why (logged)')
    .option('--by <name>', 'who is asking (default: the OS user)')
    .option('--wait <seconds>', `how long to wait for a running reconcile before taking its lock over (default ${KILL_SWITCH_WAIT_MS / 1000})`)
    .action(boundedRedis((opts: KillSwitchOptions) => runEnable(opts)));
}
