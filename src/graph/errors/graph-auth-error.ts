/**
 * No access token: the credential could not authenticate against the authority (bad secret or
 * certificate, unknown app or tenant, authority unreachable or untrusted), or the token is unreadable.
 * The message comes from @azure/identity with registered secrets redacted; it never holds a token.
 */
import { GraphError } from './graph-error.ts';
import { redactString } from '../../observability/secrets.ts';

export class GraphAuthError extends GraphError {
  constructor(message: string, options: { cause?: unknown; tenantId?: string; clientId?: string } = {}) {
    super('ERR_GRAPH_AUTH', redactString(message), {
      cause: options.cause,
      details: { tenantId: options.tenantId, clientId: options.clientId },
    });
  }
}
