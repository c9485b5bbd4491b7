/**
 * ERR_PROXY_CONNECT: the proxy answered the tunnel's CONNECT with a non-2xx status (`proxyStatus`).
 * Raised inside tunnel-agent.ts (got passes it on as the request error's cause); the transport retries
 * it for a retryable status and otherwise reports it as ERR_THREATQ_HTTP. Retryable by status.
 */
import { ThreatQError } from './threatq-error.ts';

export class ProxyConnectError extends ThreatQError {
  constructor(
    readonly proxyStatus: number | undefined,
    message: string,
  ) {
    super('ERR_PROXY_CONNECT', message, { status: proxyStatus ?? 0, details: { proxyStatus } });
  }
}
