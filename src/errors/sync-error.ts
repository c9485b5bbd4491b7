/**
 * Base class of every error this service raises on purpose.
 *
 * Each subclass carries a stable string `code` (documented in README "Troubleshooting by error code")
 * and an optional `cause`. Callers branch on `code` or `instanceof`, never on message text.
 * Messages never contain secrets: the logger's redaction format scrubs registered secret values too,
 * but errors are built from non-secret fields in the first place.
 */
export type ErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_READ'
  | 'ERR_CONFIG_ENV_MISSING'
  | 'ERR_USAGE'
  | (string & { readonly __errorCode?: never });

export interface SyncErrorOptions {
  cause?: unknown;
  /** Extra structured, non-secret context for logs. */
  details?: Record<string, unknown>;
  /**
   * Whether trying again can help. false: the job fails at once (BullMQ UnrecoverableError);
   * true: it retries with backoff; undefined: the worker decides from the code (workers/job-signals.ts).
   */
  retryable?: boolean;
}

export class SyncError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean | undefined;

  constructor(code: ErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable;
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

/** A command-line usage error (exit status 2). */
export class UsageError extends SyncError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}
