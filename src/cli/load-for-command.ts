/** Shared by subcommands: resolve `--config`/TQ_ENTRA_CONFIG and load the validated configuration. */
import { loadConfigFile, resolveConfigPath } from '../config/load-config.ts';
import type { Config, TargetConfig } from '../config/schema.ts';
import { UsageError } from '../errors/sync-error.ts';

export function loadConfigForCommand(path: string | undefined): Config {
  return loadConfigFile(resolveConfigPath(path));
}

export function requireTarget(config: Config, name: string): TargetConfig {
  const t = config.targets.find((x) => x.name === name);
  if (!t) throw new UsageError(`no target named "${name}" (configured: ${config.targets.map((x) => x.name).join(', ')})`);
  return t;
}
