/**
 * Errors of a file source (`kind: file`), each naming the source and the path:
 * - ERR_SOURCE_FILE_READ: the path cannot be opened or read (missing, a directory, no permission).
 * - ERR_SOURCE_NOT_A_BLOCKLIST: the file is readable but is not a block list (most of its lines are
 *   not IP addresses or CIDRs; rule in file-source.ts). Not retryable: the file must change. The
 *   message gives counts only, never a line of the file (it may be anything: a key, a password file).
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

export class SourceNotBlocklistError extends SyncError {
  constructor(source: string, path: string, notAddresses: number, values: number) {
    super(
      'ERR_SOURCE_NOT_A_BLOCKLIST',
      `file source ${source}: ${path} does not look like a block list: ${notAddresses} of its first ${values} value line(s) are not IP addresses or CIDRs. ` +
        'Nothing from it was used. Point the source at a file with one IP address or CIDR per line (# comments allowed).',
      { details: { source, path, notAddresses, values }, retryable: false },
    );
  }
}
