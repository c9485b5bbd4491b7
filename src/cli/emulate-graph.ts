/**
 * `tq-entra emulate graph --port P`: run the Microsoft Graph emulator (token side and v1.0 conditional
 * access endpoints over HTTPS) in the foreground until SIGINT/SIGTERM. Prints the Graph base URL, the
 * authority host, the CA file to trust (with `--state-dir`, the same key and certificate across
 * restarts), the app registrations it accepts (tenant, client id, secret, roles) and a ready-to-paste
 * target `cloud`/`tls` entry. Its credentials are fixed, well-known test strings, which is why printing
 * them is fine.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors/sync-error.ts';
import { REPLICATION_RULES, type ReplicationRule } from '../emulators/graph/emulator-options.ts';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../emulators/graph/graph-emulator.ts';
import type { CommandContext } from './command-context.ts';
import { emulatorStartError } from './errors/emulator-start-error.ts';
import { untilStopSignal } from './stop-signal.ts';

interface EmulateGraphOptions {
  port: string;
  host: string;
  rps: string;
  burst: string;
  retryAfter?: string;
  replicationDelayMs?: string;
  /** Deprecated alias of --replication-delay-ms. */
  replicationDelay?: string;
  replicationRule: string[];
  replicationMixedFraction: string;
  replicationSeed: string;
  allowUnknownProperties?: boolean;
  pageSize: string;
  caFile?: string;
  stateDir?: string;
  strictPublic?: boolean;
  publicHost?: string;
}

function numberOption(name: string, text: string, min: number, max: number, integer = true): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${text}")`);
  }
  return n;
}

/** `--replication-rule trustedDelete=5000` (repeatable; several comma-separated also work) or a JSON object. */
export function parseReplicationRules(texts: readonly string[]): Partial<Record<ReplicationRule, number>> {
  const out: Partial<Record<ReplicationRule, number>> = {};
  const set = (rule: string, ms: unknown): void => {
    if (!(REPLICATION_RULES as readonly string[]).includes(rule)) {
      throw new UsageError(`--replication-rule: unknown rule "${rule}" (known: ${REPLICATION_RULES.join(', ')})`);
    }
    out[rule as ReplicationRule] = numberOption(`replication-rule ${rule}`, String(ms), 0, 600_000);
  };
  for (const text of texts) {
    if (text.trim().startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        throw new UsageError(`--replication-rule: not valid JSON: ${text}`);
      }
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) set(k, v);
      continue;
    }
    for (const part of text.split(',').filter((p) => p.trim() !== '')) {
      const m = /^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m) throw new UsageError(`--replication-rule must be RULE=MS (e.g. trustedDelete=5000), got "${part}"`);
      set(m[1] ?? '', m[2]);
    }
  }
  return out;
}

export function graphEmulatorSummary(emu: GraphEmulator): string {
  const cfg = emu.config();
  const lines = [
    `Graph emulator listening on ${emu.graphBaseUrl}`,
    `  Graph base URL:  ${emu.graphBaseUrl}   (endpoints under /v1.0/identity/conditionalAccess/)`,
    `  Authority host:  ${emu.authorityHost}`,
    `  CA file:         ${emu.caFile}${emu.certificateReused ? '   (key and certificate reused from the state directory)' : ''}`,
    `  Throttle:        ${cfg.throttle.requestsPerSecond > 0 ? `${cfg.throttle.requestsPerSecond} req/s per tenant, burst ${cfg.throttle.burst}` : 'off'}` +
      `${cfg.throttle.retryAfterSeconds === null ? ', 429 without Retry-After' : `, Retry-After ${cfg.throttle.retryAfterSeconds}s`}`,
    `  Replication:     ${cfg.replicationDelayMs} ms` +
      `${Object.keys(cfg.replicationRules).length > 0 ? `; ${Object.entries(cfg.replicationRules).map(([k, v]) => `${k} ${v} ms`).join(', ')}` : ''}` +
      `${cfg.replicationDelayMs > 0 || Object.keys(cfg.replicationRules).length > 0 ? ` (reads mixed in the last ${Math.round(cfg.replicationMixedFraction * 100)}%, seed ${cfg.replicationSeed})` : ''}`,
    `  Unknown properties: ${cfg.rejectUnknownProperties ? 'refused (400)' : 'accepted'}`,
    '',
    'App registrations (tenant / client id / client secret / roles):',
  ];
  for (const a of emu.apps()) {
    lines.push(`  ${a.tenantId} / ${a.clientId} / ${a.clientSecret ?? '(certificate only)'} / ${a.roles.join(', ') || 'none'}${a.label ? `   # ${a.label}` : ''}`);
  }
  const app = emu.apps()[0];
  if (app) {
    lines.push('', 'Example target entry:', '  - name: emulated-tenant', `    tenantId: ${app.tenantId}`, `    clientId: ${app.clientId}`);
    lines.push(`    clientSecret: ${app.clientSecret ?? '<secret>'}`, '    cloud:', `      graphBaseUrl: ${emu.graphBaseUrl}`, `      authorityHost: ${emu.authorityHost}`);
    lines.push('    tls:', `      caFile: ${emu.caFile}`);
  }
  lines.push('', 'Controls: GET /__emulator/requests | config | faults | state; POST /__emulator/reset | faults | seed; PATCH /__emulator/config', '');
  return lines.join('\n');
}

/** The emulator's options from the command line; a value out of range is a UsageError naming the flag. */
function emulatorOptions(opts: EmulateGraphOptions): GraphEmulatorOptions {
  const options: GraphEmulatorOptions = {
    port: numberOption('port', opts.port, 0, 65535),
    host: opts.host,
    throttle: {
      requestsPerSecond: numberOption('rps', opts.rps, 0, 10_000, false),
      burst: numberOption('burst', opts.burst, 1, 10_000),
      retryAfterSeconds: opts.retryAfter === undefined ? null : numberOption('retry-after', opts.retryAfter, 0, 3600),
    },
    replicationDelayMs: numberOption(
      opts.replicationDelayMs !== undefined ? 'replication-delay-ms' : 'replication-delay',
      opts.replicationDelayMs ?? opts.replicationDelay ?? '0',
      0,
      600_000,
    ),
    replicationRules: parseReplicationRules(opts.replicationRule),
    replicationMixedFraction: numberOption('replication-mixed-fraction', opts.replicationMixedFraction, 0, 1, false),
    replicationSeed: numberOption('replication-seed', opts.replicationSeed, -(2 ** 31), 2 ** 31),
    rejectUnknownProperties: !(opts.allowUnknownProperties ?? false),
    pageSize: numberOption('page-size', opts.pageSize, 1, 999),
    strictPublic: opts.strictPublic ?? false,
  };
  if (opts.caFile !== undefined) options.caFile = opts.caFile;
  if (opts.stateDir !== undefined) options.stateDir = opts.stateDir;
  if (opts.publicHost !== undefined) options.publicHost = opts.publicHost;
  return options;
}

export function registerEmulateGraphCommand(emulate: Command, ctx: CommandContext): void {
  emulate
    .command('graph')
    .description('run a local Microsoft Graph emulator (token endpoint, named locations, conditional access policies)')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', '8444')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--rps <n>', 'throttle: requests per second per tenant (0 disables)', '1')
    .option('--burst <n>', 'throttle: burst size', '1')
    .option('--retry-after <seconds>', 'send Retry-After on throttle 429s (Graph sends none)')
    .option('--replication-delay-ms <ms>', 'default replication delay of every rule: writes reach reads and preconditions this long after (default 0)')
    .option('--replication-delay <ms>', 'deprecated alias of --replication-delay-ms')
    .option(
      '--replication-rule <rule=ms>',
      `per-rule delay, repeatable or comma-separated, or a JSON object; rules: ${REPLICATION_RULES.join(', ')}`,
      (value: string, prev: string[]) => [...prev, value],
      [] as string[],
    )
    .option('--replication-mixed-fraction <f>', 'last fraction (0-1) of a read delay in which reads mix old and new', '0.5')
    .option('--replication-seed <n>', 'seed of the mixed reads', '1')
    .option('--allow-unknown-properties', 'accept properties the v1.0 schema does not declare (Graph refuses them)')
    .option('--page-size <n>', 'server page size of list responses', '100')
    .option('--ca-file <file>', 'where to write the CA certificate (default: <state-dir>/ca.pem, else a temporary directory)')
    .option('--state-dir <dir>', 'keep the TLS key and certificate here and reuse them at the next start (default: a new certificate each start)')
    .option('--strict-public', 'refuse private and reserved ranges (rule NL10)')
    .option('--public-host <name>', 'host name clients use to reach it (added to the certificate; e.g. a compose service name)')
    .action(async (opts: EmulateGraphOptions) => {
      const options = emulatorOptions(opts);
      const stop = untilStopSignal(); // before the banner: a SIGTERM right after it is a clean stop
      let emu: GraphEmulator;
      try {
        emu = await startGraphEmulator(options);
      } catch (e) {
        throw emulatorStartError('Graph', opts.host, opts.port, e);
      }
      process.stdout.write(graphEmulatorSummary(emu));
      await stop;
      await emu.close();
      ctx.exitCode = 0;
    });
}
