/**
 * releaseHeap(): a full garbage collection, at the few points where a worker has just dropped a
 * large working set and is about to spend a long time allocating small, short-lived objects (the
 * reconcile after its plan, before the apply; the commit after its merge).
 *
 * Why: V8 sizes the old generation from what was live at its last full collection. A reconcile of a
 * full target has ~200 MB live while it plans (the fan-in, the desired set, the plan); the apply then
 * lives on ~75 MB, but without a full collection in between V8 lets the apply's garbage pile up to
 * the limit the plan set (measured: heapUsed 190 → 250 MB, worker RSS 407 MB, at 1,000,000 indicators;
 * docs/SCALING.md). One collection there (tens of milliseconds) resets that limit to the smaller set.
 *
 * How: `gc` is exposed at run time (`--expose-gc` set through node:v8, the function taken from a new
 * context, as Node's own documentation of v8.setFlagsFromString shows for flags); nothing else in the
 * process sees a global `gc`. Where that fails (a runtime that refuses the flag), it does nothing.
 */
import { setFlagsFromString } from 'node:v8';
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

/** A full, synchronous garbage collection; false when this runtime does not allow one. */
export function releaseHeap(): boolean {
  const gc = collector();
  if (!gc) return false;
  gc();
  return true;
}
