/**
 * Reading Graph responses: the error body `{"error":{"code","message","innerError":{"message",
 * "request-id"}}}` and the mapping from a final (non-retried) HTTP status to a typed error.
 */
import { GraphHttpError, type GraphErrorInfo } from './errors/graph-http-error.ts';
import { GraphNotFoundError } from './errors/graph-not-found-error.ts';
import { GraphPermissionError } from './errors/graph-permission-error.ts';
import { GraphUnauthorizedError } from './errors/graph-unauthorized-error.ts';
import { GraphValidationError } from './errors/graph-validation-error.ts';

export interface GraphErrorBody {
  graphCode?: string | undefined;
  graphMessage?: string | undefined;
  innerMessage?: string | undefined;
  requestId?: string | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Pull Graph's code and messages out of an error response body (tolerates anything). */
export function parseGraphErrorBody(text: string): GraphErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.trim() === '' ? {} : { graphMessage: text.trim().slice(0, 500) };
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (error === null || typeof error !== 'object') return {};
  const e = error as Record<string, unknown>;
  const inner = (e['innerError'] ?? e['innererror']) as Record<string, unknown> | undefined;
  return {
    graphCode: str(e['code']),
    graphMessage: str(e['message']),
    innerMessage: inner && typeof inner === 'object' ? str(inner['message']) : undefined,
    requestId: inner && typeof inner === 'object' ? str(inner['request-id']) : undefined,
  };
}

/**
 * Graph's validation code 1040 (a referenced named location does not exist in the directory yet: a
 * replication delay), wherever it appears: as the error code, or leading either message (`1040: …`).
 * Matched on the code, not on Microsoft's wording, which may change.
 */
const CODE_1040 = /^\s*1040\s*(:|$)/;

export function isReplicationDelay(body: GraphErrorBody): boolean {
  return [body.graphCode, body.graphMessage, body.innerMessage].some((m) => m !== undefined && CODE_1040.test(m));
}

/** The typed error for a status the client does not retry. */
export function errorForStatus(info: GraphErrorInfo): GraphHttpError {
  switch (info.status) {
    case 400:
      return new GraphValidationError(info);
    case 401:
      return new GraphUnauthorizedError(info);
    case 403:
      return new GraphPermissionError(info);
    case 404:
      return new GraphNotFoundError(info);
    default:
      return new GraphHttpError(info);
  }
}
