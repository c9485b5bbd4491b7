/**
 * The process entry of `tq-entra` (bin/tq-entra.js loads it; bin/cli-bundle.js bundles from it): the
 * composition root. It hands the worker implementation (`startWorkers`, workers/start-workers.ts) to
 * the command-line program (src/cli/main.ts), which gives it to the `worker` and `demo` commands.
 *
 * The rule it exists for: src/ never imports workers/ (workers/ imports src/: the stages, the
 * queues, the error model). Whatever in src/ needs running workers receives `startWorkers` through
 * its arguments (src/pipeline/worker-runtime.ts names the contract), from here.
 *
 * The worker modules load only when a command starts workers: `tq-entra ranges merge` and the other
 * short commands keep their fast start (the CLI loads each subcommand lazily for the same reason).
 */
import { main as cliMain } from '../src/cli/main.ts';
import type { StartWorkers } from '../src/pipeline/worker-runtime.ts';

const startWorkers: StartWorkers = async (config, options) => (await import('./start-workers.ts')).startWorkers(config, options);

export function main(argv: readonly string[]): Promise<number> {
  return cliMain(argv, { startWorkers });
}
