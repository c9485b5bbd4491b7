/**
 * Two ways to keep a worker's heap near what is live; releaseHeap first, tightHeap below.
 *
 * releaseHeap(): a full garbage collection, at the points where a worker has just dropped a large
 * working set: in the reconcile before and after the fan-in (after its merge and after the
 * subtractions too), after the plan and before each apply step; in the commit before its merge (the
 * collect's garbage: at 1,000,000 indicators the commit's start was the worker's peak, 305 MB, with
 * 79 MB of page buffers and 139 MB of heap not yet collected) and after it.
 *
 * Why: V8 sizes the old generation from what was live at its last full collection. A reconcile of a
 * full target has ~200 MB live while it plans (the fan-in, the desired set, the plan); the apply then
 * lives on ~75 MB, but without a full collection in between V8 lets the apply's garbage pile up to
 * the limit the plan set (measured: heapUsed 190 → 250 MB, worker RSS 407 MB, at 1,000,000 indicators;
 * docs/SCALING.md). One collection there (tens of milliseconds) resets that limit to the smaller set.
 *
 * Only when it pays: the old generation (old and large-object spaces) or the external memory of
 * array buffers (where the range engine's typed arrays live) must have grown by RELEASE_MIN_GROWTH_MB,
 * or by a quarter when that is more, over the lowest size seen since the last collection made here.
 * A worker with a large live heap (dozens of tenants' reconciles at once) so pays at most one
 * collection per quarter of growth, about V8's own rate; small jobs leave it to V8.
 *
 * tightHeap(fn) / enterTightHeap(): while a commit merges, and while a reconcile makes its desired set
 * and its plan (not through its paced apply: that lives on far less, and releaseHeap keeps it there),
 * V8 grows the heap by TIGHT_HEAP_PERCENT over what was live at its last full collection instead of
 * its default factor (1.1 to 4 by its own measure of GC speed; commonly 1.5 and more). Those steps
 * hold the largest live sets (the merge's columns, the desired set, the plan); their peak is live set
 * × growth factor. Measured (bench:e2e, sparse, 2-core machine), at 20 % through the whole reconcile:
 * 1,000,000 indicators at page size 100 and objectsPerRun 10,000, worker peak 310 → 278 MB, committed
 * 17.2 → 17.8 s; 5,000,000 from five sources, 351 → 338 MB. At 10 % until the plan is made (what
 * runs): 1,000,000 at every page size and objectsPerRun corner 273–289 MB, 5,000,000 318–322 MB
 * (docs/SCALING.md). Not for the collect: its live set is small and its garbage rate high, so a tight
 * heap there costs a major collection every few pages (whole run at 20 %: committed 17.2 → 23.0 s).
 * The flag is process-wide: a collect that runs beside a reconcile's fan-in and plan (seconds) in the
 * same process pays that while they overlap. Scoped by count: the flag is set when the first tight
 * section starts and V8's default (0) restored when the last one ends, so concurrent reconciles share
 * it; a `--heap-growing-percent` given to node on the command line is replaced by that default too.
 *
 * How: `gc` is exposed at run time (`--expose-gc` set through node:v8, the function taken from a new
 * context). The main context gets no global `gc`; contexts and worker threads made later would (the
 * service makes neither). Where that fails (a runtime that refuses the flag), it does nothing.
 */
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collect = typeof gc === 'function' ? () => void (gc as () => unknown)() : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Growth (MB) of the old generation, or of external memory, that makes a collection worth its pause. */
export const RELEASE_MIN_GROWTH_MB = 24;

/** The lowest old-generation and external sizes seen since the last collection made here. */
const floor = { old: Infinity, external: Infinity };

/** The growth over `base` bytes worth a collection: RELEASE_MIN_GROWTH_MB, or a quarter of a larger base. */
function worthIt(base: number): number {
  return Math.max(RELEASE_MIN_GROWTH_MB * 1024 * 1024, base / 4);
}

function sizes(): { old: number; external: number } {
  let old = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'old_space' || s.space_name === 'large_object_space') old += s.space_used_size;
  return { old, external: getHeapStatistics().external_memory };
}

/**
 * A full, synchronous garbage collection when the old generation or the external memory grew by
 * RELEASE_MIN_GROWTH_MB (or a quarter, if more) over the lowest size seen since the last one made
 * here (each measured on its own: V8's own collections free one while the other grows); true when
 * it collected. The first call only takes the measure.
 */
export function releaseHeap(): boolean {
  const gc = collector();
  if (!gc) return false;
  const now = sizes();
  floor.old = Math.min(floor.old, now.old);
  floor.external = Math.min(floor.external, now.external);
  if (now.old - floor.old < worthIt(floor.old) && now.external - floor.external < worthIt(floor.external)) return false;
  gc();
  Object.assign(floor, sizes());
  return true;
}

/** Heap growth over the live set, in percent, while a tightHeap section runs. */
export const TIGHT_HEAP_PERCENT = 10;
let tightSections = 0;

/** V8's heap growth over the live set, in percent (0: V8's own factor). */
function setGrowth(percent: number): void {
  try {
    setFlagsFromString(`--heap-growing-percent=${percent}`);
  } catch {
    // a runtime that refuses the flag keeps its default growth
  }
}

/**
 * Start a tight section (see the header); the function returned ends it, once however often it is
 * called, so a caller can end it early (the reconcile, before its paced apply) and again in `finally`.
 */
export function enterTightHeap(): () => void {
  if (tightSections++ === 0) setGrowth(TIGHT_HEAP_PERCENT);
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    if (--tightSections === 0) setGrowth(0);
  };
}

/** Run `fn` as one tight section (see the header). */
export async function tightHeap<T>(fn: () => Promise<T>): Promise<T> {
  const end = enterTightHeap();
  try {
    return await fn();
  } finally {
    end();
  }
}
