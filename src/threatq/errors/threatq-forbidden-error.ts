/**
 * ERR_THREATQ_FORBIDDEN: HTTP 403. The credentials are valid but the API user may not read this object
 * (collection not shared, or the user's role lacks access). Not retryable.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, describeSubject, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQForbiddenError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, options: { cause?: unknown } = {}) {
    super(
      'ERR_THREATQ_FORBIDDEN',
      `${describeSubject(ctx)}: access denied${describeRequest(ctx)}. ` +
        'Check that the collection is shared with this API user and that its role may read the Threat Library.',
      { cause: options.cause, details: contextDetails(ctx) },
    );
    this.context = ctx;
  }
}
