/**
 * The tenant is throttled (HTTP 429, or another process recorded a tenant-wide block). Raised at once
 * when the client runs with `onThrottle: 'throw'`, or when a waiting client runs out of attempts. A
 * worker then delays that job alone for `retryAfterMs` (workers/job-signals.ts); the queue and other
 * tenants go on.
 */
import { GraphHttpError, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphThrottledError extends GraphHttpError {
  /** How long the caller should wait before the next Graph request to this tenant. */
  readonly retryAfterMs: number;

  constructor(info: GraphErrorInfo, retryAfterMs: number) {
    super(
      info,
      'ERR_GRAPH_THROTTLED',
      `Graph ${info.method} ${info.path} throttled (HTTP 429) for tenant; retry after ${Math.ceil(retryAfterMs / 1000)}s`,
    );
    this.retryAfterMs = retryAfterMs;
    this.details['retryAfterMs'] = retryAfterMs;
  }
}
