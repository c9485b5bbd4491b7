/** Build configuration objects for tests through the real loader (so defaults and validation apply). */
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';

export function configFrom(doc: Record<string, unknown>): Config {
  return loadConfigText(stringify(doc), { env: {} });
}

export function baseTarget(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 't1',
    tenantId: '11111111-1111-1111-1111-111111111111',
    clientId: '22222222-2222-2222-2222-222222222222',
    clientSecret: 'test-client-secret-value',
    namedLocation: { name: 'TQ Blocked' },
    policy: { name: 'TQ Block' },
    ...overrides,
  };
}
