/** Build configuration objects for tests through the real loader (so defaults and validation apply). */
import { ConfigError } from '../../src/config/errors/config-error.ts';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';

/**
 * The problems a configuration is refused with: `load` must throw the ConfigError of an invalid
 * configuration (ERR_CONFIG_INVALID); anything else thrown is rethrown, and an accepted one fails.
 */
export function configProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    if (e instanceof ConfigError && e.code === 'ERR_CONFIG_INVALID') return [...e.problems];
    throw e;
  }
  throw new Error('expected the configuration to be refused');
}

export function configFrom(doc: Record<string, unknown>): Config {
  return loadConfigText(stringify(doc), { env: {} });
}

/**
 * A valid target. Targets other than `t1` get location and policy names of their own (two targets of
 * one tenant may not share them), e.g. `TQ Blocked t2` / `TQ Block t2`.
 */
export function baseTarget(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const name = typeof overrides['name'] === 'string' ? overrides['name'] : 't1';
  const own = name === 't1' ? '' : ` ${name}`;
  return {
    name,
    tenantId: '11111111-1111-1111-1111-111111111111',
    clientId: '22222222-2222-2222-2222-222222222222',
    clientSecret: 'test-client-secret-value',
    namedLocation: { name: `TQ Blocked${own}` },
    policy: { name: `TQ Block${own}` },
    ...overrides,
  };
}
