/**
 * `createSource(source, collectionId)`: the one entry point the pipeline uses to read a source
 * collection, whatever its kind. ThreatQ clients are cached per configured source object (the frozen
 * Config keeps the same object for the life of the process), so the token and the type/status lookups
 * are reused across runs and collections of the same instance.
 */
import type { SourceConfig, ThreatQSourceConfig } from '../config/schema.ts';
import { ThreatQClient } from '../threatq/threatq-client.ts';
import { FileSource } from './file-source.ts';
import type { IndicatorSource } from './source-types.ts';
import { ThreatQSource } from './threatq-source.ts';
import { UnknownCollectionError } from './errors/unknown-collection-error.ts';

const clients = new WeakMap<ThreatQSourceConfig, ThreatQClient>();

/** The shared client of a configured ThreatQ source. */
export function clientFor(source: ThreatQSourceConfig): ThreatQClient {
  let client = clients.get(source);
  if (client === undefined) {
    client = ThreatQClient.fromConfig(source);
    clients.set(source, client);
  }
  return client;
}

/** `now`: the run's start (epoch ms), from which a ThreatQ collection's `maxAge` counts back. */
export function createSource(source: SourceConfig, collectionId: string, options: { signal?: AbortSignal; now?: number } = {}): IndicatorSource {
  if (source.kind === 'file') {
    if (collectionId !== source.path) throw new UnknownCollectionError(source.name, collectionId, [source.path]);
    return new FileSource(source, { signal: options.signal });
  }
  const collection = source.collections.find((c) => c.id === collectionId);
  if (collection === undefined) throw new UnknownCollectionError(source.name, collectionId, source.collections.map((c) => c.id));
  return new ThreatQSource(clientFor(source), source, collection, options);
}
