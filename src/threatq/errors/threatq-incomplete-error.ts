/**
 * ERR_THREATQ_INCOMPLETE: a collection read ended with fewer indicators than ThreatQ's `total` said,
 * beyond the tolerance for collections that change while paged (collection-completeness.ts), after
 * the page that ended it early was requested again without success. Raised before anything is staged
 * for commit, so the run fails and the last committed snapshot (and Entra) stay as they were.
 * Retryable: the job is run again with backoff.
 */
import { ThreatQError } from './threatq-error.ts';
import { contextDetails, describeSubject, type ThreatQErrorContext } from './threatq-error-context.ts';

export interface IncompleteRead {
  /** Indicators (raw objects, before filtering) that arrived. */
  received: number;
  /** The largest `total` ThreatQ announced during the read. */
  total: number;
  /** The `total` of the last page, when it was lower (a shrinking total). */
  lastTotal: number | undefined;
  tolerance: number;
  /** The page that ended the read (1-based) and why. */
  page: number;
  problem: string;
  /** Requests of that page. */
  requests: number;
}

export class ThreatQIncompleteError extends ThreatQError {
  readonly context: ThreatQErrorContext;
  readonly collection: string | undefined;
  readonly received: number;
  readonly total: number;
  readonly tolerance: number;

  constructor(ctx: ThreatQErrorContext, read: IncompleteRead) {
    const shrank = read.lastTotal !== undefined && read.lastTotal < read.total ? `; the total fell from ${read.total} to ${read.lastTotal} during the read` : '';
    super(
      'ERR_THREATQ_INCOMPLETE',
      `${describeSubject(ctx)}: incomplete read: received ${read.received} of the ${read.total} indicators ThreatQ's total announced ` +
        `(${read.total - read.received} missing, ${read.tolerance} tolerated); paging ended at page ${read.page} on ${read.problem}, ` +
        `requested ${read.requests} time(s)${shrank}. The run is abandoned and the last committed snapshot kept; it is retried. ` +
        'If it keeps failing, check the instance (a search backend timing out on deep pages answers empty pages); a smaller pageSize may help.',
      {
        details: { ...contextDetails(ctx), received: read.received, total: read.total, lastTotal: read.lastTotal, tolerance: read.tolerance, page: read.page, problem: read.problem, requests: read.requests },
      },
    );
    this.context = ctx;
    this.collection = ctx.collection;
    this.received = read.received;
    this.total = read.total;
    this.tolerance = read.tolerance;
  }
}
