/**
 * ERR_THREATQ_UNAVAILABLE: 429, 5xx or network failures went on past the retry budget (attempts or
 * deadline), or the server asked to wait longer than the policy allows. Retryable later: the job may
 * run again.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, describeSubject, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQUnavailableError extends ThreatQError {
  readonly context: ThreatQErrorContext;
  readonly attempts: number;

  constructor(ctx: ThreatQErrorContext, attempts: number, why: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_THREATQ_UNAVAILABLE',
      `${describeSubject(ctx)}: gave up after ${attempts} attempt(s)${describeRequest(ctx)}: ${why}. ` +
        'Check that the instance is reachable (URL, proxy settings) and not overloaded; the run can be retried later.',
      { cause: options.cause, details: { ...contextDetails(ctx), attempts } },
    );
    this.context = ctx;
    this.attempts = attempts;
  }
}
