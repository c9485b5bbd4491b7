/**
 * `tq-entra emulate threatq --port P (--seed FILE | --generate N)`: run the ThreatQ API emulator in the
 * foreground until SIGINT/SIGTERM. Prints the URL, the credentials it accepts (both grants) and the
 * collection ids it serves, with a ready-to-paste `sources:` entry. Without --seed or --generate it
 * generates 1000 indicators; `--generator-seed` and `--generator-distribution` (clustered: ranges
 * merge; sparse: nothing merges, 1,000,000 indicators fill an Entra target) shape what it generates. The emulator is for tests and demos only: its credentials are fixed,
 * well-known strings, which is why printing them is fine.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import { startThreatQEmulator, type ThreatQEmulator, type ThreatQEmulatorOptions } from '../emulators/threatq/threatq-emulator.ts';
import type { GeneratorDistribution } from '../emulators/threatq/emulator-seed.ts';
import { parseDistribution } from '../emulators/threatq/indicator-generator.ts';
import type { CommandContext } from './command-context.ts';
import { emulatorStartError } from './errors/emulator-start-error.ts';
import { untilStopSignal } from './stop-signal.ts';

interface EmulateThreatQOptions {
  port: string;
  host: string;
  seed?: string;
  generate?: string;
  generatorSeed: string;
  generatorDistribution: string;
  idOffset: string;
  tokenTtl: string;
  idsOnly?: boolean;
  scoreAsObject?: boolean;
}

function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${text}")`);
  }
  return n;
}

function distributionOption(text: string): GeneratorDistribution {
  try {
    return parseDistribution(text, '--generator-distribution');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function emulatorSummary(emu: ThreatQEmulator): string {
  const lines = [`ThreatQ emulator listening on ${emu.url} (API root ${emu.url}/api)`, '', 'Password grant users (email / password / client_id):'];
  for (const u of emu.users) lines.push(`  ${u.email} / ${u.password} / ${u.clientId}`);
  lines.push('OAuth clients, client_credentials grant (client id / secret):');
  for (const c of emu.clients) lines.push(`  ${c.clientId} / ${c.clientSecret}`);
  lines.push('Collections (id: indicators):');
  const store = emu.context.store;
  for (const id of emu.collections) {
    const c = store.collections.get(id);
    lines.push(`  ${id}: ${c ? store.total(id, c) : 0}`);
  }
  const client = emu.clients[0];
  if (client) {
    lines.push('', 'Example source entry:', '  - name: tq-emulator', '    kind: threatq', `    url: ${emu.url}`, '    auth:', '      grant: client_credentials');
    lines.push(`      clientId: ${client.clientId}`, `      clientSecret: ${client.clientSecret}`, '    collections:');
    for (const id of emu.collections.slice(0, 1)) lines.push(`      - id: ${id}`, '        targets: [<target name>]');
  }
  lines.push('', 'Controls: POST /__emulator/reset | seed | tokens/expire | faults | indicators/{id}; GET /__emulator/state | requests', '');
  return lines.join('\n');
}

export function registerEmulateThreatQCommand(emulate: Command, ctx: CommandContext): void {
  emulate
    .command('threatq')
    .description('run a local ThreatQ API emulator (tokens, data collections, lookups, fault injection)')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', '8443')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--seed <file>', 'JSON fixture with users, clients, types, statuses, indicators, collections')
    .option('--generate <n>', 'generate N deterministic indicators (default 1000 when no --seed)')
    .option('--generator-seed <n>', 'seed of the generator', '1')
    .option('--generator-distribution <kind>', 'clustered (ranges merge) or sparse (no two values merge: a full target)', 'clustered')
    .option('--id-offset <n>', 'shift type/status/indicator ids (run instances with different offsets)', '40')
    .option('--token-ttl <seconds>', 'access token lifetime (expires_in)', '3600')
    .option('--ids-only', 'indicators carry only type_id/status_id (forces lookups)')
    .option('--score-as-object', 'score in its object form {generated_score, manual_score}')
    .action(async (opts: EmulateThreatQOptions) => {
      const options: ThreatQEmulatorOptions = {
        port: intOption('port', opts.port, 0, 65535),
        host: opts.host,
        idOffset: intOption('id-offset', opts.idOffset, 0, 100_000),
        tokenTtlSeconds: intOption('token-ttl', opts.tokenTtl, 1, 31_536_000),
        idsOnly: opts.idsOnly ?? false,
        scoreAsObject: opts.scoreAsObject ?? false,
      };
      const generatorSeed = intOption('generator-seed', opts.generatorSeed, 0, 2 ** 31 - 1);
      const distribution = distributionOption(opts.generatorDistribution);
      if (opts.seed !== undefined) options.seedFile = opts.seed;
      if (opts.generate !== undefined) options.generate = { count: intOption('generate', opts.generate, 0, 5_000_000), seed: generatorSeed, distribution };
      else if (opts.seed === undefined) options.generate = { count: 1000, seed: generatorSeed, distribution };
      const stop = untilStopSignal(); // before the banner: a SIGTERM right after it is a clean stop
      let emu: ThreatQEmulator;
      try {
        emu = await startThreatQEmulator(options);
      } catch (e) {
        throw emulatorStartError('ThreatQ', opts.host, opts.port, e);
      }
      process.stdout.write(emulatorSummary(emu));
      await stop;
      await emu.close();
      ctx.exitCode = 0;
    });
}
