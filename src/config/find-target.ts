/**
 * The one rule for finding a configured source or target by name: exact, case-sensitive match on
 * `name`; names are unique (the schema refuses duplicates), so there is never a choice to make.
 * Throws UnknownNameError (ERR_UNKNOWN_SOURCE / ERR_UNKNOWN_TARGET) listing the configured names.
 */
import { UnknownNameError } from './errors/unknown-name-error.ts';
import type { Config, SourceConfig, TargetConfig } from './schema.ts';

export function findTarget(config: Config, name: string): TargetConfig {
  const t = config.targets.find((x) => x.name === name);
  if (!t) throw new UnknownNameError('target', name, config.targets.map((x) => x.name));
  return t;
}

export function findSource(config: Config, name: string): SourceConfig {
  const s = config.sources.find((x) => x.name === name);
  if (!s) throw new UnknownNameError('source', name, config.sources.map((x) => x.name));
  return s;
}
