/** Graph answered 401: the access token was refused (wrong audience, expired, other tenant). Not retried. */
import { GraphHttpError, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphUnauthorizedError extends GraphHttpError {
  constructor(info: GraphErrorInfo) {
    super(info, 'ERR_GRAPH_UNAUTHORIZED');
  }
}
