/** Graph answered 404 for an object the caller expected to exist (PATCH, DELETE). Not retried. */
import { GraphHttpError, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphNotFoundError extends GraphHttpError {
  constructor(info: GraphErrorInfo) {
    super(info, 'ERR_GRAPH_NOT_FOUND');
  }
}
