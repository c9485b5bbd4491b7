/**
 * ERR_THREATQ_WRITE_REFUSED: ThreatQ refused a write-back request (tag or attribute of an indicator):
 * 403 (the API user's role may not edit indicator context) or 400/422 (the body was refused, e.g. a tag
 * or attribute name ThreatQ does not accept). Not retryable: the same request would be refused again.
 * The server's own error text is appended; it never contains our credentials.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQWriteRefusedError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, serverMessage: string | undefined, options: { cause?: unknown } = {}) {
    const said = serverMessage ? `: ${serverMessage}` : '';
    const hint =
      ctx.status === 403
        ? 'The API user needs the Primary Contributor role (or a custom role with Objects & Context › Individual Object Context & Actions › Tags and Attributes).'
        : 'Check writeBack.tag, writeBack.attribute and writeBack.removedTag.';
    super('ERR_THREATQ_WRITE_REFUSED', `ThreatQ instance ${ctx.instance}: write-back refused${describeRequest(ctx)}${said}. ${hint}`, {
      cause: options.cause,
      details: contextDetails(ctx),
    });
    this.context = ctx;
  }
}
