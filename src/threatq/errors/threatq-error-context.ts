/**
 * The non-secret facts every ThreatQ error carries: which instance (the configured source name), which
 * collection (when the call was about one), and the request that failed. Errors are built from these
 * fields only, never from credentials or tokens.
 */
export interface ThreatQErrorContext {
  /** The configured source name (sources[].name), e.g. "tq-east". */
  instance: string;
  /** The data collection hash when the failing call concerned a collection. */
  collection?: string | undefined;
  /** HTTP status of the last response, when there was one. */
  status?: number | undefined;
  /** Method and path (no query string, no host credentials) of the failing request. */
  request?: string | undefined;
}

/** `collection X on tq-east` or `tq-east`: the subject of an error message. */
export function describeSubject(ctx: ThreatQErrorContext): string {
  return ctx.collection === undefined ? `ThreatQ instance ${ctx.instance}` : `collection ${ctx.collection} on ${ctx.instance}`;
}

/** ` (HTTP 404 on GET /api/…)` or ``. */
export function describeRequest(ctx: ThreatQErrorContext): string {
  const parts: string[] = [];
  if (ctx.status !== undefined) parts.push(`HTTP ${ctx.status}`);
  if (ctx.request !== undefined) parts.push(`on ${ctx.request}`);
  return parts.length === 0 ? '' : ` (${parts.join(' ')})`;
}

export function contextDetails(ctx: ThreatQErrorContext): Record<string, unknown> {
  const out: Record<string, unknown> = { instance: ctx.instance };
  if (ctx.collection !== undefined) out['collection'] = ctx.collection;
  if (ctx.status !== undefined) out['status'] = ctx.status;
  if (ctx.request !== undefined) out['request'] = ctx.request;
  return out;
}
