/**
 * ERR_THREATQ_TLS: the instance's certificate could not be verified (self-signed, private CA, wrong
 * host name, expired). Not retryable: configure tls.caFile (preferred) or tls.verify.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeRequest, type ThreatQErrorContext } from './threatq-error-context.ts';

export class ThreatQTlsError extends ThreatQError {
  readonly context: ThreatQErrorContext;

  constructor(ctx: ThreatQErrorContext, tlsCode: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_THREATQ_TLS',
      `ThreatQ instance ${ctx.instance}: the server certificate could not be verified (${tlsCode})${describeRequest(ctx)}. ` +
        "Set tls.caFile to a PEM file with the instance's CA certificate (or, only for testing, tls.verify: false).",
      { cause: options.cause, details: { ...contextDetails(ctx), tlsCode } },
    );
    this.context = ctx;
  }
}
