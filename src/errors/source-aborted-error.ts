/**
 * ERR_SOURCE_ABORTED: the caller's AbortSignal fired while a source was being read (worker shutdown,
 * job cancelled). Nothing is wrong with the source; the run is simply not finished.
 */
import { SyncError } from './sync-error.ts';

export class SourceAbortedError extends SyncError {
  constructor(source: string, collection: string, options: { cause?: unknown } = {}) {
    super('ERR_SOURCE_ABORTED', `reading collection ${collection} of source ${source} was aborted`, {
      cause: options.cause,
      details: { source, collection },
    });
  }
}
