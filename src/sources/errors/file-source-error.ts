/**
 * ERR_SOURCE_FILE_READ: a file source's path cannot be opened or read (missing, a directory, no
 * permission). Names the source and the path. Retryable: the file may appear or become readable.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class FileSourceError extends SyncError {
  constructor(source: string, path: string, reason: string, options: { cause?: unknown } = {}) {
    super('ERR_SOURCE_FILE_READ', `file source ${source}: cannot read ${path} (${reason}). Check that the path exists and is a readable file.`, {
      cause: options.cause,
      details: { source, path },
    });
  }
}
