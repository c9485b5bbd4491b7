/**
 * `tq-entra worker --config F [--queues collect,ingest,reconcile,writeback,notify] [--shutdown-grace 8s]`: run the job
 * processors until SIGTERM or SIGINT, then stop taking jobs and let the active ones finish for at most
 * the shutdown grace (default 8 s, inside `docker stop`'s 10 s). Jobs still active then are handed
 * back: the process exits 0 and another worker picks them up when their lock expires
 * (worker.lockDurationMs); every stage is retry-safe, so nothing is lost or done twice. A second
 * signal exits at once (exit 130), with the same hand-back.
 */
import type { Command } from 'commander';
import { getLogger } from '../observability/logger.ts';
import { QUEUE, type QueueName } from '../pipeline/queues.ts';
import { UsageError } from '../errors/sync-error.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import type { CommandContext } from './command-context.ts';
import { untilStopSignal } from './stop-signal.ts';
import { parseDuration } from '../config/schema.ts';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function parseQueues(text: string | undefined): QueueName[] | undefined {
  if (text === undefined) return undefined;
  const all = Object.values(QUEUE) as string[];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!all.includes(n)) throw new UsageError(`--queues: unknown queue "${n}" (expected any of ${all.join(', ')})`);
  return names as QueueName[];
}

export function registerWorkerCommand(program: Command, ctx: CommandContext): void {
  program
    .command('worker')
    .description('run the collect, ingest and reconcile processors (several processes may share one Redis)')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('--queues <list>', 'comma-separated queues to serve (default: collect,ingest,reconcile,writeback,notify)')
    .option('--shutdown-grace <duration>', 'on SIGTERM, how long active jobs may run before they are handed back', '8s')
    .action(async (opts: { config?: string; queues?: string; shutdownGrace: string }) => {
      const config = loadConfigForCommand(opts.config);
      const queues = parseQueues(opts.queues);
      const graceMs = parseDuration(opts.shutdownGrace);
      if (graceMs === undefined) throw new UsageError(`--shutdown-grace: expected a duration such as 8s, got "${opts.shutdownGrace}"`);
      const log = getLogger('worker');
      // Listen before starting: a SIGTERM during start-up or right after "workers started" is a clean stop.
      const stop = untilStopSignal((second) => {
        // Exiting hands the active jobs back: another worker takes them once their lock expires.
        log.warn('second signal: exiting now; active jobs go to another worker when their lock expires', { signal: second });
        process.exit(130);
      });
      const handle = await ctx.startWorkers(config, queues ? { queues } : {});
      const signal = await stop;
      log.info('stopping: no new jobs; waiting for active jobs to finish', { signal, graceMs });
      const drained = await Promise.race([handle.close(false).then(() => true), delay(graceMs).then(() => false)]);
      if (!drained) {
        log.warn('shutdown grace elapsed: handing the active jobs back; another worker takes them when their lock expires', { graceMs });
        // BullMQ's close cannot be forced once a graceful close is under way, and a processor still
        // waiting on Graph or ThreatQ would keep the process alive: leave now; the locks expire.
        process.exit(0);
      }
      log.info('stopped');
    });
}
