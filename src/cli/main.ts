/**
 * `tq-entra`: the command-line entry point. One file per subcommand in src/cli/, each exporting a
 * `register…` function that adds itself to the program; the context and exit statuses they share live in
 * command-context.ts (subcommands never import this file). Exit status: 0 success, 1 runtime failure,
 * 2 usage or configuration error (nothing was touched).
 *
 * Subcommand modules are loaded lazily from the COMMANDS table: a run of `tq-entra ranges merge` loads
 * only the range engine, not BullMQ, Azure identity or express (start-up time matters for piping).
 * `--help` and unknown commands load them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors/config-error.ts';
import { UnknownNameError } from '../config/errors/unknown-name-error.ts';
import { SyncError, UsageError, coerceError } from '../errors/sync-error.ts';
import { redactString } from '../observability/secrets.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext, type Register } from './command-context.ts';
import type { WorkerRuntime } from '../pipeline/worker-runtime.ts';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Top-level subcommand name → loader of its register function. Keep in alphabetical order. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  apply: async () => (await import('./apply.ts')).registerApplyCommand,
  config: async () => (await import('./config-check.ts')).registerConfigCommand,
  dashboard: async () => (await import('./dashboard.ts')).registerDashboardCommand,
  demo: async () => (await import('./demo.ts')).registerDemoCommand,
  disable: async () => (await import('./kill-switch.ts')).registerDisableCommand,
  emulate: async () => (await import('./emulate.ts')).registerEmulateCommand,
  enable: async () => (await import('./kill-switch.ts')).registerEnableCommand,
  history: async () => (await import('./history.ts')).registerHistoryCommand,
  plan: async () => (await import('./plan.ts')).registerPlanCommand,
  ranges: async () => (await import('./ranges-merge.ts')).registerRangesMergeCommand,
  report: async () => (await import('./report.ts')).registerReportCommand,
  rollback: async () => (await import('./rollback.ts')).registerRollbackCommand,
  scheduler: async () => (await import('./scheduler.ts')).registerSchedulerCommand,
  sync: async () => (await import('./sync.ts')).registerSyncCommand,
  unpin: async () => (await import('./rollback.ts')).registerUnpinCommand,
  why: async () => (await import('./why.ts')).registerWhyCommand,
  worker: async () => (await import('./worker.ts')).registerWorkerCommand,
};

/** The register functions to load for argv: only the named subcommand when it is known. */
async function loadRegisters(argv: readonly string[]): Promise<Register[]> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '-V' || args[0] === '--version')) return [];
  const first = args.find((a) => !a.startsWith('-'));
  const loader = first === undefined ? undefined : COMMANDS[first];
  const loaders = loader ? [loader] : Object.values(COMMANDS);
  return Promise.all(loaders.map((l) => l()));
}

export function buildProgram(ctx: CommandContext, registers: readonly Register[]): Command {
  const program = new Command('tq-entra')
    .description('Keep a Microsoft Entra ID block list in step with ThreatQ threat intelligence.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  });
  for (const register of registers) register(program, ctx);
  // Every subcommand inherits exitOverride so usage errors reach main() as CommanderError.
  for (const c of program.commands) applyExitOverride(c);
  return program;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const c of cmd.commands) applyExitOverride(c);
}

/** `runtime`: handed in by the process entry, workers/main.ts (src/ never imports workers/). */
export async function main(argv: readonly string[], runtime: WorkerRuntime): Promise<number> {
  const ctx: CommandContext = { exitCode: EXIT_OK, startWorkers: runtime.startWorkers };
  try {
    const program = buildProgram(ctx, await loadRegisters(argv));
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (e) {
    return exitCodeFor(e);
  }
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
    return EXIT_USAGE; // commander already printed the problem
  }
  const err = coerceError(e);
  if (err instanceof ConfigError) {
    process.stderr.write(`tq-entra: ${err.code}: ${redactString(err.message)}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError || err instanceof UnknownNameError) {
    process.stderr.write(`tq-entra: ${redactString(err.message)}\n`);
    return EXIT_USAGE;
  }
  const code = err instanceof SyncError ? `${err.code}: ` : '';
  process.stderr.write(`tq-entra: ${code}${redactString(err.message)}\n`);
  return EXIT_FAILURE;
}
