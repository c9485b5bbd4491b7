/**
 * ERR_THREATQ_AUTH: POST /api/token refused the configured credentials (400/401), redirected, or a data
 * call was still answered 401 right after a fresh token. Not retryable: fix the credentials.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQAuthError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, problem: string, hint: string, options: { cause?: unknown } = {}) {
    super('ERR_THREATQ_AUTH', `ThreatQ instance ${ctx.instance}: ${problem}${describeRequest(ctx)}. ${hint}`, {
      cause: options.cause,
      details: contextDetails(ctx),
    });
    this.context = ctx;
  }
}
