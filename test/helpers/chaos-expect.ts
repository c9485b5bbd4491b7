/**
 * The invariant checks every chaos scenario makes, against the fault-free reference run:
 *   - the sync completed (exit 0);
 *   - Entra (named locations with their ranges, the policy) is exactly the reference picture;
 *   - no indicator lost: the union in Entra equals the ground truth from the ThreatQ emulator;
 *   - no location or policy duplicated;
 *   - every Graph 429 was followed by a tenant-wide pause the watcher saw, and no Graph request
 *     arrived at the emulator inside a pause window (the tenant's block key);
 *   - the reconcile queue was never rate-limited: a 429 delays its tenant's work only (the
 *     reconcile waits in the tenant's pacer, or its job alone is delayed), never every tenant's;
 *   - optionally, with Retry-After on the 429s: the next request came at least that long after.
 */
import { expect } from 'vitest';
import type { ChaosResult } from './chaos-run.ts';
import { requestsDuringPauses, retryAfterViolations, throttlesWithoutPause } from './chaos-pause-watch.ts';

export function expectChaosInvariants(run: ChaosResult, reference: ChaosResult, options: { retryAfterMs?: number } = {}): void {
  const context = `${run.sync.stdout}\n${run.sync.stderr}\n${run.workerOutput.slice(-6000)}`;
  expect(run.sync.code, context).toBe(0);
  expect(run.inEntra, 'no indicator lost').toEqual(run.expected);
  expect(run.picture, 'Entra ends as after the fault-free run').toEqual(reference.picture);
  expect(run.duplicates, 'no location or policy duplicated').toEqual({ locations: [], policies: [] });
  expect(requestsDuringPauses(run.log, run.windows), 'no Graph request during a 429 pause').toEqual([]);
  expect(throttlesWithoutPause(run.log, run.windows), 'every 429 paused the tenant').toEqual([]);
  expect(run.queueRateLimits, 'the reconcile queue was never rate-limited (a 429 delays its tenant only)').toEqual([]);
  if (options.retryAfterMs !== undefined) expect(retryAfterViolations(run.log, options.retryAfterMs), 'Retry-After honoured cluster-wide').toEqual([]);
}

/** One line for the test output and docs/RELIABILITY.md. */
export function describeRun(name: string, run: ChaosResult, extra: Record<string, unknown> = {}): string {
  return `[chaos] ${name}: ${(run.durationMs / 1000).toFixed(1)} s, graph ${JSON.stringify(run.graph.byStatus)}, pauses ${run.windows.length}, throttle-delayed jobs ${run.throttleDelays}, ranges ${run.inEntra.length}, locations ${run.picture.locations.length}${
    Object.keys(extra).length ? `, ${JSON.stringify(extra)}` : ''
  }`;
}
