/**
 * `tq-entra scheduler --config F [--watch]`: make the BullMQ job schedulers match the configuration
 * (one per scheduled source collection; stale ones removed). One-shot by default; with `--watch` it
 * stays up and re-syncs whenever the configuration file's content changes (polled every second by
 * path, so an editor that replaces the file by rename is seen too). An invalid new configuration is
 * logged and the schedulers are left as they were. SIGTERM or SIGINT stops it at once (exit 0): the
 * poller is removed and the Redis connection closed, nothing else keeps the process alive.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Command } from 'commander';
import { getLogger } from '../observability/logger.ts';
import { bullConnection, createQueues, jobRetentionOf, type Queues } from '../pipeline/queues.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { syncSchedulers } from '../pipeline/scheduler.ts';
import { loadConfigFile, resolveConfigPath } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/errors/config-error.ts';
import type { CommandContext } from './command-context.ts';
import { untilStopSignal } from './stop-signal.ts';

const POLL_MS = 1000;

async function syncAndReport(config: Config, queues: Queues): Promise<void> {
  const r = await syncSchedulers(config, queues);
  getLogger('scheduler').info('schedulers synced', r);
  const list = (xs: string[]) => (xs.length ? ` (${xs.join(', ')})` : '');
  process.stdout.write(`schedulers: ${r.upserted.length} upserted${list(r.upserted)}, ${r.removed.length} removed${list(r.removed)}\n`);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Re-sync on every change of the file's content until a stop signal; syncs never overlap. */
async function watchConfig(path: string, first: Config, queues: Queues, stop: Promise<NodeJS.Signals>): Promise<void> {
  const log = getLogger('scheduler');
  let lastText = readText(path);
  let chain = Promise.resolve();
  const onChange = () => {
    const text = readText(path);
    if (text === undefined || text === lastText) return;
    lastText = text;
    chain = chain.then(async () => {
      let next: Config;
      try {
        next = loadConfigFile(path);
      } catch (e) {
        log.error('configuration is invalid; schedulers left as they were', { problems: e instanceof ConfigError ? e.problems : String(e) });
        return;
      }
      if (JSON.stringify(next.redis) !== JSON.stringify(first.redis)) {
        log.warn('redis (url, cluster or prefix) changed: restart the scheduler (and the workers) to use them; schedulers left as they were');
        return;
      }
      await syncAndReport(next, queues).catch((e: unknown) => log.error('scheduler sync failed', { error: String(e) }));
    });
  };
  watchFile(path, { interval: POLL_MS }, onChange);
  try {
    const signal = await stop;
    log.info('stopping', { signal });
  } finally {
    unwatchFile(path, onChange);
  }
  await chain;
}

export function registerSchedulerCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('scheduler')
    .description('upsert one job scheduler per scheduled source collection and remove the ones no longer configured')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('--watch', 'stay up and re-sync when the configuration file changes')
    // One-shot: fails with ERR_REDIS_UNAVAILABLE when Redis stays unreachable; --watch retries like a worker.
    .action(boundedRedis(async (opts: { config?: string; watch?: boolean }) => {
      const path = resolveConfigPath(opts.config);
      const config = loadConfigFile(path);
      const connection = bullConnection(config.redis);
      const queues = createQueues(connection, config.redis.prefix, jobRetentionOf(config));
      // Listen before the first sync, so a SIGTERM during it is a clean stop too.
      const stop = opts.watch ? untilStopSignal() : undefined;
      try {
        await syncAndReport(config, queues);
        if (stop) await watchConfig(path, config, queues, stop);
      } finally {
        await queues.close();
        connection.disconnect();
      }
    }, { when: (opts) => opts.watch !== true }));
}
