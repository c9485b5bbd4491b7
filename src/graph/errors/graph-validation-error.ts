/** Graph answered 400: the request is invalid (schema, limits, conflicting conditions). Not retried. */
import { GraphHttpError, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphValidationError extends GraphHttpError {
  constructor(info: GraphErrorInfo) {
    super(info, 'ERR_GRAPH_VALIDATION');
  }
}
