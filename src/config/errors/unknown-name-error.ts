/**
 * A command or a queued job names a source or target that the configuration does not define (a typo
 * on the command line, or a job queued before the name was removed). Not retryable: the same
 * configuration gives the same answer. The CLI exits 2 (usage) on it.
 */
import { SyncError } from '../../errors/sync-error.ts';

export type ConfiguredKind = 'source' | 'target';

export class UnknownNameError extends SyncError {
  readonly kind: ConfiguredKind;

  constructor(kind: ConfiguredKind, name: string, known: readonly string[]) {
    super(
      kind === 'source' ? 'ERR_UNKNOWN_SOURCE' : 'ERR_UNKNOWN_TARGET',
      `no ${kind} named "${name}" in the configuration (configured: ${known.join(', ') || 'none'}; a queued job may name one removed since)`,
      { details: { [kind]: name } },
    );
    this.kind = kind;
  }
}
