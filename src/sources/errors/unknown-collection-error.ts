/**
 * ERR_SOURCE_UNKNOWN_COLLECTION: createSource was asked for a collection the source does not configure
 * (a stale job after a configuration change, or a typo). Names the known ids.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class UnknownCollectionError extends SyncError {
  constructor(source: string, collection: string, known: readonly string[]) {
    super('ERR_SOURCE_UNKNOWN_COLLECTION', `source ${source} has no collection "${collection}" (configured: ${known.join(', ') || 'none'})`, {
      details: { source, collection },
    });
  }
}
