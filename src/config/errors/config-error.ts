import { SyncError } from '../../errors/sync-error.ts';

/**
 * The configuration could not be read or is invalid. `problems` lists one line per problem, each
 * naming the path and the expectation (`targets[0].policy.state: expected one of …`).
 */
export class ConfigError extends SyncError {
  readonly problems: readonly string[];

  constructor(
    code: 'ERR_CONFIG_INVALID' | 'ERR_CONFIG_READ' | 'ERR_CONFIG_ENV_MISSING',
    problems: readonly string[],
    options: { cause?: unknown; source?: string } = {},
  ) {
    const where = options.source ? ` (${options.source})` : '';
    super(code, `invalid configuration${where}:\n  - ${problems.join('\n  - ')}`, { cause: options.cause });
    this.problems = problems;
  }
}
