/**
 * `rateLimit.requestsPerSecond` above 1 against a Microsoft cloud (graph.microsoft.com or a national
 * cloud) without the explicit opt-in: Microsoft allows conditional access and named-location calls 1
 * request per second per tenant, across all apps, so a faster pace only earns 429s (and throttles the
 * tenant's other apps). Not retryable: the configuration must change.
 */
import { GraphError } from './graph-error.ts';

export class GraphPaceError extends GraphError {
  constructor(target: string, host: string, requestsPerSecond: number, optIn: string) {
    super(
      'ERR_GRAPH_PACE_NOT_ALLOWED',
      `target "${target}": rateLimit.requestsPerSecond is ${requestsPerSecond} against ${host}, a Microsoft cloud that allows 1 request per ` +
        `second per tenant for conditional access; set it to 1 (the default), or opt in explicitly with ${optIn}`,
      { details: { target, host, requestsPerSecond } },
    );
  }
}
