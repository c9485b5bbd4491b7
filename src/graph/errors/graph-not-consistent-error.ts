/**
 * Graph did not reach the state a destructive step waits for within the bounded consistency wait
 * (src/graph/consistency.ts): e.g. a named location still read as trusted after `isTrusted: false`
 * was written, a policy still referencing a location it no longer should, or a delete still refused
 * (400: trusted / referenced) after the bounded retries. Nothing was deleted that should not be; the
 * next run starts from what Graph then holds. Retryable: replication usually completes.
 */
import { GraphError } from './graph-error.ts';

export interface ConsistencyWaitReport {
  /** What was waited for, in words (e.g. `named location 1b2… reads isTrusted: false`). */
  what: string;
  waitedMs: number;
  /** Graph reads (or refused attempts) made while waiting. */
  reads: number;
}

export class GraphNotConsistentError extends GraphError {
  readonly waitedMs: number;
  readonly what: string;

  /**
   * `timeoutMs` is the bound the wait was held to (the target's consistencyTimeout): the message names
   * it, not the time waited, which stops short of it (no read is started that would end past it).
   */
  constructor(report: ConsistencyWaitReport, timeoutMs: number, lastSeen?: string) {
    super(
      'ERR_GRAPH_NOT_CONSISTENT',
      `Graph did not become consistent within ${Number((timeoutMs / 1000).toFixed(1))}s: waited for ${report.what} ` +
        `(${(report.waitedMs / 1000).toFixed(1)} s, ${report.reads} read(s)${lastSeen ? `; last seen: ${lastSeen}` : ''}); nothing further was deleted, the next run continues`,
      { details: { ...report, timeoutMs, lastSeen } },
    );
    this.waitedMs = report.waitedMs;
    this.what = report.what;
  }
}
