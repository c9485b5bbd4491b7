/**
 * Graph kept answering `400 … 1040: NamedLocation with id … does not exist in the directory` after
 * the bounded replication retries: a named location the request refers to never became visible.
 */
import { GraphHttpError, describeGraphFailure, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphNotReplicatedError extends GraphHttpError {
  constructor(info: GraphErrorInfo, waitedMs: number) {
    super(
      info,
      'ERR_GRAPH_NOT_REPLICATED',
      `${describeGraphFailure(info)}; still not replicated after ${info.attempts ?? 0} attempts over ${Math.round(waitedMs / 1000)}s`,
    );
  }
}
