/**
 * `tq-entra config check [--config FILE]`: validate the configuration and print a summary (secrets
 * redacted; `--print` shows the whole resolved configuration with defaults filled in, credentials in
 * URLs redacted too).
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile, redactConfig, resolveConfigPath } from '../config/load-config.ts';
import { redactUrlCredentials } from '../observability/secrets.ts';
import type { CommandContext } from './command-context.ts';

export function registerConfigCommand(program: Command, _ctx: CommandContext): void {
  const config = program.command('config').description('work with the configuration file');
  config
    .command('check')
    .description('validate the configuration (exit 0 when valid, 2 with every problem named by path otherwise)')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('--print', 'print the resolved configuration, defaults filled in and secrets redacted')
    .action((opts: { config?: string; print?: boolean }) => {
      const path = resolveConfigPath(opts.config);
      const cfg = loadConfigFile(path);
      if (opts.print) {
        // redactConfig scrubs secret keys and values; URL credentials (a ThreatQ `url` with
        // user:password@) are scrubbed from the printed text as well, whatever key holds them.
        process.stdout.write(redactUrlCredentials(stringify(redactConfig(cfg))));
        return;
      }
      const collections = cfg.sources.reduce((n, s) => n + (s.kind === 'threatq' ? s.collections.length : 1), 0);
      process.stdout.write(
        `${path}: OK (${cfg.sources.length} source(s), ${collections} collection(s), ${cfg.targets.length} target(s))\n`,
      );
    });
}
