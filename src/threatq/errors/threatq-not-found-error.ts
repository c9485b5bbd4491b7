/**
 * ERR_THREATQ_NOT_FOUND: HTTP 404. For a collection this means the hash is wrong or the collection is not
 * shared with the API user (ThreatQ hides collections the caller may not see). Not retryable.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQNotFoundError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, options: { cause?: unknown } = {}) {
    const message =
      ctx.collection === undefined
        ? `ThreatQ instance ${ctx.instance}: the requested object was not found${describeRequest(ctx)}. Check the instance URL (with or without /api) and the ThreatQ version.`
        : `collection ${ctx.collection} on ${ctx.instance} was not found or is not shared with this API user${describeRequest(ctx)}. ` +
          'Check the collection id (the data collection hash) and share the collection with the user or OAuth client the service signs in as.';
    super('ERR_THREATQ_NOT_FOUND', message, { cause: options.cause, details: contextDetails(ctx) });
    this.context = ctx;
  }
}
