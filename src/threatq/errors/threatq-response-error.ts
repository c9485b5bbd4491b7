/**
 * ERR_THREATQ_RESPONSE: a 2xx answer that is not what the API documents (not JSON, wrong shape, or a
 * JSON body carrying an `errors` key, which the vendor SDK treats as an error whatever the status).
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, describeSubject, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQResponseError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, problem: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_THREATQ_RESPONSE',
      `${describeSubject(ctx)}: unexpected response${describeRequest(ctx)}: ${problem}. ` +
        'Check that the URL points at the ThreatQ API (not a login page or a proxy error page).',
      { cause: options.cause, details: contextDetails(ctx) },
    );
    this.context = ctx;
  }
}
