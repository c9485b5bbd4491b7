/**
 * `tq-entra emulate …`: local emulators of the external services, for tests and the demo.
 * Each emulator registers itself from its own file (emulate-threatq.ts, emulate-graph.ts).
 */
import type { Command } from 'commander';
import { registerEmulateGraphCommand } from './emulate-graph.ts';
import { registerEmulateThreatQCommand } from './emulate-threatq.ts';
import type { CommandContext } from './command-context.ts';

export function registerEmulateCommand(program: Command, ctx: CommandContext): void {
  const emulate = program.command('emulate').description('run a local emulator of ThreatQ or Microsoft Graph (tests and demos)');
  registerEmulateThreatQCommand(emulate, ctx);
  registerEmulateGraphCommand(emulate, ctx);
}
