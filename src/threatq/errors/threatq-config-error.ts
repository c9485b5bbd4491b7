/**
 * ERR_THREATQ_CONFIG: the client cannot even be set up: bad instance URL, unreadable tls.caFile, or a
 * malformed HTTPS_PROXY / HTTP_PROXY. Raised at construction, before any request.
 */
import { SyncError } from '../../errors/sync-error.ts';

export class ThreatQConfigError extends SyncError {
  constructor(instance: string, problem: string, options: { cause?: unknown } = {}) {
    super('ERR_THREATQ_CONFIG', `ThreatQ instance ${instance}: ${problem}`, { cause: options.cause, retryable: false, details: { instance } });
  }
}
