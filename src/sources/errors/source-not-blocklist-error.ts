/**
 * ERR_SOURCE_NOT_A_BLOCKLIST: a file source's file is readable but is not a block list (most of its
 * lines are not IP addresses or CIDRs; rule in file-source.ts). Not retryable: the file must change.
 * The message gives counts only, never a line of the file (it may be anything: a key, a password file).
 */
import { SyncError } from '../../errors/sync-error.ts';

export class SourceNotBlocklistError extends SyncError {
  constructor(source: string, path: string, notAddresses: number, values: number) {
    super(
      'ERR_SOURCE_NOT_A_BLOCKLIST',
      `file source ${source}: ${path} does not look like a block list: ${notAddresses} of its first ${values} value line(s) are not IP addresses or CIDRs. ` +
        'Nothing from it was used. Point the source at a file with one IP address or CIDR per line (# comments allowed).',
      { details: { source, path, notAddresses, values } },
    );
  }
}
