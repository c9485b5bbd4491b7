/**
 * The request-economy targets of issue 15, as bench:e2e prints and checks them. At Microsoft's
 * 1 request/s every Graph request is a second, so:
 *   first sync of a full target    ≤ 1.1 × writes + 5 requests (writes: successful POST/PATCH/DELETE)
 *   a sync with no change          ≤ 3 requests (and zero writes)
 *   one added range                ≤ 4 requests
 * "Full target" (issue 15): ≥ 375,000 ranges after merging in ≥ 188 locations, within maxLocations
 * and without overflow. Each check returns its printed line (stating the target and OK or OVER) and
 * whether it holds; the request budget applies at any size, the full-target line says whether the run
 * was at the size the issue names.
 */
import { requestEconomy } from './format-figures.ts';
import type { RunFigures } from './measure-run.ts';

export const FULL_TARGET_MIN_RANGES = 375_000;
export const FULL_TARGET_MIN_LOCATIONS = 188;
export const NO_CHANGE_MAX_REQUESTS = 3;
export const ONE_RANGE_MAX_REQUESTS = 4;

export interface TargetCheck {
  line: string;
  ok: boolean;
}

const n = (x: number) => x.toLocaleString('en-US');

/** Graph requests by kind, most frequent first: `list namedLocations ×2, PATCH namedLocations ×1`. */
export function kindsText(log: RunFigures['graphLog']): string {
  const e = requestEconomy(log);
  return [...e.byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
}

/** Ranges and locations the first sync wrote, against the full-target size and maxLocations. */
export function fullTargetCheck(f: RunFigures, maxLocations: number): TargetCheck {
  const r = f.reconcile.counts;
  const ranges = r['finalRanges'] ?? NaN;
  const overflow = r['overflow'] ?? NaN;
  const locs = ((f.reconcile.details?.['locations'] ?? []) as { action: string }[]).filter((l) => l.action !== 'delete').length;
  const full = ranges >= FULL_TARGET_MIN_RANGES && locs >= FULL_TARGET_MIN_LOCATIONS;
  const within = locs <= maxLocations && overflow === 0;
  return {
    line: `  target size (issue 15): a full target is ≥ ${n(FULL_TARGET_MIN_RANGES)} ranges in ≥ ${FULL_TARGET_MIN_LOCATIONS} locations, within maxLocations ${maxLocations} without overflow: ` +
      `${n(ranges)} ranges in ${locs} locations, overflow ${n(overflow)}: ${full ? 'full' : 'NOT full (the issue-15 figures are for a full target)'}, ${within ? 'within limits' : 'OVER the limits'}`,
    ok: within,
  };
}

export function firstSyncCheck(log: RunFigures['graphLog']): TargetCheck {
  const e = requestEconomy(log);
  const ok = e.total <= e.budget;
  const ratio = e.writes > 0 ? (e.total / e.writes).toFixed(3) : '–';
  return { line: `  target (issue 15): first sync ≤ 1.1 × writes + 5 = 1.1 × ${e.writes} + 5 → ≤ ${e.budget} requests: ${e.total} requests (ratio to writes ${ratio}) ${ok ? 'OK' : 'OVER'}`, ok };
}

export function noChangeCheck(log: RunFigures['graphLog']): TargetCheck {
  const e = requestEconomy(log);
  const ok = e.total <= NO_CHANGE_MAX_REQUESTS && e.writes === 0;
  return { line: `  target (issue 15): no change → ≤ ${NO_CHANGE_MAX_REQUESTS} requests and 0 writes: ${e.total} requests, ${e.writes} writes (${kindsText(log)}) ${ok ? 'OK' : 'OVER'}`, ok };
}

export function oneRangeCheck(log: RunFigures['graphLog']): TargetCheck {
  const e = requestEconomy(log);
  const ok = e.total <= ONE_RANGE_MAX_REQUESTS;
  return { line: `  target (issue 15): one added range → ≤ ${ONE_RANGE_MAX_REQUESTS} requests: ${e.total} requests, ${e.writes} writes (${kindsText(log)}) ${ok ? 'OK' : 'OVER'}`, ok };
}
