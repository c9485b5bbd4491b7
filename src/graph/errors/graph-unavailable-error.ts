/**
 * Graph stayed unavailable (503/504/5xx, resets, timeouts) through every retry, or the retry deadline
 * passed. `status` is 0 when the last failure was a network error (`networkCode` says which).
 */
import { GraphHttpError, describeGraphFailure, type GraphErrorInfo } from './graph-http-error.ts';

export class GraphUnavailableError extends GraphHttpError {
  readonly networkCode: string | undefined;

  constructor(info: GraphErrorInfo, networkCode?: string) {
    const base =
      info.status === 0
        ? `Graph ${info.method} ${info.path} failed: network error ${networkCode ?? 'unknown'}`
        : describeGraphFailure(info);
    super(info, 'ERR_GRAPH_UNAVAILABLE', `${base} (gave up after ${info.attempts ?? 1} attempts)`);
    this.networkCode = networkCode;
  }
}
