/**
 * `tq-entra dashboard --config F [--port P] [--host H]`: serve the queue dashboard, the status pages (`/status`), `/metrics`,
 * `/healthz` and `/readyz` (src/dashboard/dashboard-server.ts) until SIGTERM or SIGINT, then close the
 * server and the Redis connection and exit 0. Prints the board URL on stdout once listening.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import { getLogger } from '../observability/logger.ts';
import { DASHBOARD_BASE_PATH, startDashboard, type DashboardOptions } from '../dashboard/dashboard-server.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import type { CommandContext } from './command-context.ts';
import { untilStopSignal } from './stop-signal.ts';

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got "${text}")`);
  return n;
}

export function registerDashboardCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('dashboard')
    .description('serve the queue dashboard, Prometheus /metrics, /healthz and /readyz until SIGTERM or SIGINT')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('-p, --port <port>', 'port to listen on (default: dashboard.port; 0 picks a free one)')
    .option('--host <host>', 'address to bind (default: dashboard.host; anything but loopback needs basic auth)')
    .action(async (opts: { config?: string; port?: string; host?: string }) => {
      const config = loadConfigForCommand(opts.config);
      const options: DashboardOptions = {};
      if (opts.port !== undefined) options.port = parsePort(opts.port);
      if (opts.host !== undefined) options.host = opts.host;
      const log = getLogger('dashboard');
      const stop = untilStopSignal(); // before the banner: a SIGTERM right after it is a clean stop
      const dashboard = await startDashboard(config, options);
      const bound = dashboard.listening === dashboard.url ? '' : `  (listening on ${dashboard.listening})`;
      process.stdout.write(`dashboard: ${dashboard.url}${DASHBOARD_BASE_PATH}${bound}\nmetrics:   ${dashboard.url}/metrics\nstatus:    ${dashboard.url}/status\n`);
      log.info('stopping dashboard', { signal: await stop });
      await dashboard.close();
      log.info('dashboard stopped');
    });
}
