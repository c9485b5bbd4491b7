/**
 * What every `tq-entra` subcommand shares with the entry point (src/cli/main.ts): the command context a
 * register function receives, and the exit statuses. Subcommands import this module, never main.ts, so
 * main.ts can load them without an import cycle.
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage or configuration error (nothing was touched).
 */
import type { Command } from 'commander';
import type { WorkerRuntime } from '../pipeline/worker-runtime.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A command's action sets `exitCode` to choose the exit status; thrown errors map in main.ts's exitCodeFor.
 * The worker runtime (`startWorkers`) is handed in by the process entry (workers/main.ts): src/ never
 * imports workers/.
 */
export interface CommandContext extends WorkerRuntime {
  exitCode: number;
}

/** What each subcommand module exports: adds its command(s) to the program. */
export type Register = (program: Command, ctx: CommandContext) => void;
