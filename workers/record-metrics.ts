/**
 * Metrics from the processors into the Redis-backed, cluster-wide store (src/observability/metrics-store.ts),
 * which the dashboard's /metrics exports. A metrics failure is logged and never fails a job. Each
 * record carries a `once` id, so a retried job does not count twice.
 */
import type { Logger } from '../src/observability/logger.ts';
import type { GraphRequestStats } from '../src/graph/graph-types.ts';
import { describeError } from './job-signals.ts';
import { coerceError } from '../src/errors/sync-error.ts';

export async function safely(log: Logger, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    log.warn('could not record metrics', { what, error: describeError(coerceError(e)) });
  }
}

/** Requests made between two snapshots of a Graph client's counters. */
export function graphStatsDelta(before: GraphRequestStats, after: GraphRequestStats): GraphRequestStats {
  const byMethodStatus: Record<string, number> = {};
  for (const [k, n] of Object.entries(after.byMethodStatus)) {
    const d = n - (before.byMethodStatus[k] ?? 0);
    if (d > 0) byMethodStatus[k] = d;
  }
  return {
    reads: after.reads - before.reads,
    writes: after.writes - before.writes,
    byMethodStatus,
    throttled: after.throttled - before.throttled,
    throttledMs: after.throttledMs - before.throttledMs,
  };
}

export function snapshotStats(s: GraphRequestStats): GraphRequestStats {
  return { ...s, byMethodStatus: { ...s.byMethodStatus } };
}
