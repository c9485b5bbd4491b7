/**
 * ERR_THREATQ_HTTP: a non-retryable HTTP answer other than 401/403/404 (400 validation errors, 3xx
 * redirects, unexpected 4xx). The server's own error text (ThreatQ `errors` bodies) is appended; it
 * never contains our credentials.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, describeSubject, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQHttpError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, serverMessage: string | undefined, hint: string, options: { cause?: unknown } = {}) {
    const said = serverMessage ? `: ${serverMessage}` : '';
    super('ERR_THREATQ_HTTP', `${describeSubject(ctx)}: request rejected${describeRequest(ctx)}${said}. ${hint}`, {
      cause: options.cause,
      details: contextDetails(ctx),
    });
    this.context = ctx;
  }
}
