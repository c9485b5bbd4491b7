/**
 * The stages' per-collection settings are resolved once, when the configuration loads
 * (config.resolved.collections): the ingest chunk size is the smallest objectsPerRun of the targets a
 * collection feeds, its parse options the strictest safety floors; derived, so neither
 * `config check --print` nor the configuration fingerprint sees them.
 */
import { describe, expect, it } from 'vitest';
import { redactConfig } from '../../src/config/load-config.ts';
import { configFingerprint } from '../../src/pipeline/config-fingerprint.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';

const doc = () => ({
  sources: [
    {
      name: 'tq',
      kind: 'threatq',
      url: 'https://tq.example.com',
      auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's3cr3t-tq' },
      collections: [
        { id: 'both', targets: ['t1', 't2'] },
        { id: 'only-t2', targets: ['t2'] },
      ],
    },
    { name: 'file', kind: 'file', path: '/dev/null', targets: ['t1'] },
  ],
  targets: [
    baseTarget({ name: 't1', objectsPerRun: 500, safety: { minPrefixV4: 16, minPrefixV6: 40, allowReserved: true } }),
    baseTarget({ name: 't2', objectsPerRun: 2000, safety: { minPrefixV4: 12, minPrefixV6: 48, allowReserved: false } }),
  ],
});

describe('config.resolved.collections', () => {
  it('resolves chunk size and parse options per source collection, from the targets it feeds', () => {
    const config = configFrom(doc());
    expect(config.resolved.collections).toEqual([
      { source: 'tq', collection: 'both', targets: ['t1', 't2'], chunkSize: 500, parseOptions: { minPrefixV4: 16, minPrefixV6: 48, allowReserved: false } },
      { source: 'tq', collection: 'only-t2', targets: ['t2'], chunkSize: 2000, parseOptions: { minPrefixV4: 12, minPrefixV6: 48, allowReserved: false } },
      { source: 'file', collection: '/dev/null', targets: ['t1'], chunkSize: 500, parseOptions: { minPrefixV4: 16, minPrefixV6: 40, allowReserved: true } },
    ]);
    expect(Object.isFrozen(config.resolved.collections[0]?.parseOptions)).toBe(true);
  });

  it('is derived: left out of the printed configuration and the fingerprint', () => {
    const config = configFrom(doc());
    expect(redactConfig(config)).not.toHaveProperty('resolved');
    const { resolved: _derived, ...fromFile } = config;
    expect(configFingerprint(config)).toBe(configFingerprint({ ...fromFile, resolved: { collections: [] } }));
  });
});
