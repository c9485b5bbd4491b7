/**
 * Base class of every error this service raises on purpose.
 *
 * Each error carries a stable `code` from the one code table (error-codes.ts; documented in README
 * "Troubleshooting by error code"), `retryable` (from the table; only codes the table marks
 * 'by-status' decide per instance, from the HTTP status they carry) and an optional `cause`.
 * Callers branch on `instanceof` (the family bases: ThreatQError, GraphError, SafetyError) or on
 * `code`, never on message text; `errorCodeOf` gives the code of anything thrown.
 * Messages never contain secrets: the logger's redaction format scrubs registered secret values too,
 * but errors are built from non-secret fields in the first place.
 */
import { retryableFor, type ErrorCode } from './error-codes.ts';

export type { ErrorCode } from './error-codes.ts';

export interface SyncErrorOptions {
  cause?: unknown;
  /** Extra structured, non-secret context for logs. */
  details?: Record<string, unknown>;
  /**
   * The HTTP status the failure came with (0: no response). Decides `retryable` for the codes the
   * table marks 'by-status'; ignored for the others.
   */
  status?: number;
}

export class SyncError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /**
   * Whether trying again can help. false: the job fails at once (BullMQ UnrecoverableError);
   * true: it retries with backoff (workers/job-signals.ts reads only this).
   */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = retryableFor(code, options.status);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** Normalise anything thrown into an Error (graphile's coerceError). */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/**
 * The code of anything thrown: a SyncError's own `code`, else `fallback` (ERR_UNEXPECTED unless
 * given). Never read from a message, never from a foreign error's `code` (Node's ECONNRESET is not
 * one of ours).
 */
export function errorCodeOf(err: unknown, fallback: ErrorCode = 'ERR_UNEXPECTED'): ErrorCode {
  return err instanceof SyncError ? err.code : fallback;
}

/** A command-line usage error (exit status 2). */
export class UsageError extends SyncError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}
