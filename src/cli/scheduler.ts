/**
 * `tq-entra scheduler --config F [--watch]`: make the BullMQ job schedulers match the configuration
 * (one per scheduled source collection; stale ones removed). One-shot by default; with `--watch` it
 * stays up and re-syncs whenever the configuration file changes.
 */
import { watchFile } from 'node:fs';
import type { Command } from 'commander';
import { getLogger } from '../ops/logger.ts';
import { bullConnection, createQueues } from '../pipeline/queues.ts';
import { syncSchedulers } from '../pipeline/scheduler.ts';
import { loadConfigFile, resolveConfigPath } from '../config/load-config.ts';
import { ConfigError } from '../errors/config-error.ts';
import type { CommandContext } from './main.ts';
import { untilStopSignal } from './stop-signal.ts';

export function registerSchedulerCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('scheduler')
    .description('upsert one job scheduler per scheduled source collection and remove the ones no longer configured')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('--watch', 'stay up and re-sync when the configuration file changes')
    .action(async (opts: { config?: string; watch?: boolean }) => {
      const path = resolveConfigPath(opts.config);
      const config = loadConfigFile(path);
      const log = getLogger('scheduler');
      const connection = bullConnection(config.redis.url);
      const queues = createQueues(connection, config.redis.prefix);
      const sync = async (cfg = config) => {
        const r = await syncSchedulers(cfg, queues);
        log.info('schedulers synced', r);
        process.stdout.write(`schedulers: ${r.upserted.length} upserted${r.upserted.length ? ` (${r.upserted.join(', ')})` : ''}, ${r.removed.length} removed${r.removed.length ? ` (${r.removed.join(', ')})` : ''}\n`);
      };
      try {
        await sync();
        if (!opts.watch) return;
        await new Promise<void>((resolve) => {
          watchFile(path, { interval: 2000 }, () => {
            try {
              const next = loadConfigFile(path);
              if (next.redis.prefix !== config.redis.prefix || next.redis.url !== config.redis.url) {
                log.warn('redis.url or redis.prefix changed: restart the scheduler to use them');
              }
              void sync(next).catch((e: unknown) => log.error('scheduler sync failed', { error: String(e) }));
            } catch (e) {
              log.error('configuration is invalid; schedulers left as they were', { problems: e instanceof ConfigError ? e.problems : String(e) });
            }
          });
          void untilStopSignal().then(() => resolve());
        });
      } finally {
        await queues.close();
        connection.disconnect();
      }
    });
}
