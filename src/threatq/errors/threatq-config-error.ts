/**
 * ERR_THREATQ_CONFIG: the client cannot even be set up: bad instance URL, unreadable tls.caFile, or a
 * malformed HTTPS_PROXY / HTTP_PROXY. Raised at construction, before any request.
 */
import { ThreatQError } from './threatq-error.ts';

export class ThreatQConfigError extends ThreatQError {
  constructor(instance: string, problem: string, options: { cause?: unknown } = {}) {
    super('ERR_THREATQ_CONFIG', `ThreatQ instance ${instance}: ${problem}`, { cause: options.cause, details: { instance } });
  }
}
