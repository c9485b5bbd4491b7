/**
 * ERR_PROXY_CONFIG: a proxy variable (HTTPS_PROXY, HTTP_PROXY, lower-case too) is not a usable proxy
 * URL; the message names the variable. Raised by resolve-proxy.ts; the transport reports it as
 * ERR_THREATQ_CONFIG naming the instance. Not retryable.
 */
import { ThreatQError } from './threatq-error.ts';

export class ProxyConfigError extends ThreatQError {
  constructor(message: string) {
    super('ERR_PROXY_CONFIG', message);
  }
}
