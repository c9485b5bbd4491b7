/**
 * Metrics from the stages into the Redis-backed, cluster-wide store (src/observability/metrics-store.ts),
 * which the dashboard's /metrics exports. A metrics failure is logged and never fails a job. Each
 * record carries a `once` id, so a retried job does not count twice.
 */
import type { Logger } from '../../observability/logger.ts';
import type { GraphRequestStats } from '../../graph/graph-types.ts';
import { coerceError } from '../../errors/sync-error.ts';
import type { StageDeps } from './stage-deps.ts';

/** Run `fn`, logging (never throwing) its failure. */
export async function safely(deps: Pick<StageDeps, 'describeError'>, log: Logger, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    log.warn('could not record metrics', { what, error: deps.describeError(coerceError(e)) });
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
