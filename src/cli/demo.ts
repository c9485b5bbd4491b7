/**
 * `tq-entra demo [--once] [--indicators N] [--rps N] [--port P]`: the one-command demo against the
 * built-in emulators (src/demo/run-demo.ts). Exit 0 when the sync succeeded.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import { runDemo } from '../demo/run-demo.ts';
import type { CommandContext } from './command-context.ts';
import { untilStopSignal } from './stop-signal.ts';

function int(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  return v;
}

export function registerDemoCommand(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('run a full sync against built-in ThreatQ and Graph emulators on a local Redis, print a summary, keep the dashboard up')
    .option('--once', 'exit after the summary instead of keeping the dashboard up')
    .option('--indicators <n>', 'indicators generated on each ThreatQ emulator', '30000')
    .option('--rps <n>', 'Graph requests per second (a real tenant allows 1; 0 turns throttling off)', '5')
    .option('--port <port>', 'dashboard port (default: a free one, printed)', '0')
    .action(async (opts: { once?: boolean; indicators: string; rps: string; port: string }) => {
      const n = int('indicators', opts.indicators, 1, 2_000_000);
      const demo = await runDemo({ indicators: [n, n], rps: int('rps', opts.rps, 0, 100), dashboardPort: int('port', opts.port, 0, 65535), startWorkers: ctx.startWorkers });
      if (!demo.ok) ctx.exitCode = 1;
      if (!opts.once) {
        process.stdout.write('Press Ctrl-C to stop.\n');
        await untilStopSignal();
      }
      await demo.close();
    });
}
