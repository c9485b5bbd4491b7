/**
 * A Graph request failed with an HTTP status the client does not retry (or stopped retrying).
 *
 * Carries what Graph said (`graphCode`, `graphMessage`, `innerMessage`: some conditional access
 * validation texts sit in `error.message`, others in `error.innerError.message`) and the request
 * (method and path only: never headers, never the token). Subclasses refine `code` by status.
 * Retryable as the code table says; ERR_GRAPH_HTTP itself is 'by-status' (408, 429, 5xx retry; other
 * 4xx do not).
 */
import { GraphError, type GraphErrorCode } from './graph-error.ts';

export interface GraphErrorInfo {
  status: number;
  method: string;
  /** Path below the Graph base URL, with query string; never carries credentials. */
  path: string;
  graphCode?: string | undefined;
  graphMessage?: string | undefined;
  innerMessage?: string | undefined;
  requestId?: string | undefined;
  /** Attempts made, retries included. */
  attempts?: number | undefined;
}

export function describeGraphFailure(info: GraphErrorInfo): string {
  const what = [info.graphCode, info.graphMessage].filter(Boolean).join(': ');
  const inner = info.innerMessage && info.innerMessage !== info.graphMessage ? ` (${info.innerMessage})` : '';
  return `Graph ${info.method} ${info.path} failed with HTTP ${info.status}${what ? `: ${what}` : ''}${inner}`;
}

export class GraphHttpError extends GraphError {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly graphCode: string | undefined;
  readonly graphMessage: string | undefined;
  readonly innerMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number;

  constructor(info: GraphErrorInfo, code: GraphErrorCode = 'ERR_GRAPH_HTTP', message: string = describeGraphFailure(info)) {
    super(code, message, {
      status: info.status,
      details: {
        status: info.status,
        method: info.method,
        path: info.path,
        graphCode: info.graphCode,
        graphMessage: info.graphMessage,
        innerMessage: info.innerMessage,
        requestId: info.requestId,
        attempts: info.attempts,
      },
    });
    this.status = info.status;
    this.method = info.method;
    this.path = info.path;
    this.graphCode = info.graphCode;
    this.graphMessage = info.graphMessage;
    this.innerMessage = info.innerMessage;
    this.requestId = info.requestId;
    this.attempts = info.attempts ?? 1;
  }
}
