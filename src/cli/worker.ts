/**
 * `tq-entra worker --config F [--queues collect,ingest,reconcile]`: run the job processors until
 * SIGTERM or SIGINT, then stop taking jobs, let the active ones finish and close connections. A
 * second signal exits at once (exit 130); the jobs still active are picked up by another worker when
 * their lock expires (worker.lockDurationMs), so nothing is lost either way.
 */
import type { Command } from 'commander';
import { getLogger } from '../ops/logger.ts';
import { QUEUE, type QueueName } from '../pipeline/queues.ts';
import { UsageError } from '../errors/sync-error.ts';
import { startWorkers } from '../../workers/worker-main.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import type { CommandContext } from './main.ts';
import { untilStopSignal } from './stop-signal.ts';

function parseQueues(text: string | undefined): QueueName[] | undefined {
  if (text === undefined) return undefined;
  const all = Object.values(QUEUE) as string[];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!all.includes(n)) throw new UsageError(`--queues: unknown queue "${n}" (expected any of ${all.join(', ')})`);
  return names as QueueName[];
}

export function registerWorkerCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('worker')
    .description('run the collect, ingest and reconcile processors (several processes may share one Redis)')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('--queues <list>', 'comma-separated queues to serve (default: collect,ingest,reconcile)')
    .action(async (opts: { config?: string; queues?: string }) => {
      const config = loadConfigForCommand(opts.config);
      const queues = parseQueues(opts.queues);
      const log = getLogger('worker');
      const handle = await startWorkers(config, queues ? { queues } : {});
      const signal = await untilStopSignal((second) => {
        // Exiting hands the active jobs back: another worker takes them once their lock expires.
        log.warn('second signal: exiting now; active jobs go to another worker when their lock expires', { signal: second });
        process.exit(130);
      });
      log.info('stopping: no new jobs; waiting for active jobs to finish', { signal });
      await handle.close(false);
      log.info('stopped');
    });
}
