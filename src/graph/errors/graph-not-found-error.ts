/**
 * Graph answered 404 for an object the caller expected to exist (PATCH, DELETE). Not retried inside
 * the request, but retryable as a job: the object was in this run's listing, so either someone deleted
 * it meanwhile or (Entra being eventually consistent) the read and the write saw different replicas.
 * The next attempt lists again and plans from what is there then.
 */
import { GraphHttpError, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphNotFoundError extends GraphHttpError {
  constructor(info: GraphErrorInfo) {
    super(info, 'ERR_GRAPH_NOT_FOUND');
  }
}
