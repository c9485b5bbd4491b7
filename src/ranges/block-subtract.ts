/**
 * Subtract a set of address intervals from one aligned block, emitting the maximal aligned blocks
 * that remain (the minimal CIDR cover of block - intervals). Recursive halving: a half that misses
 * every interval is emitted whole, a half inside one interval is dropped, anything else is split again,
 * so depth is at most 32 (IPv4) or 128 (IPv6).
 *
 * Intervals are flat, sorted, disjoint and coalesced: [lo0, hi0, lo1, hi1, ...] (inclusive bounds);
 * IPv4 as doubles (exact below 2^53), IPv6 as BigInt.
 */

/** Index of the first interval whose upper bound is >= x (interval count when none). */
function firstEndingAtOrAfterV4(iv: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = iv.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((iv[2 * mid + 1] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstEndingAtOrAfterV6(iv: readonly bigint[], x: bigint): number {
  let lo = 0;
  let hi = iv.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((iv[2 * mid + 1] ?? 0n) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Overlap of the IPv4 block with the intervals: 0 none, 1 covered by one interval, 2 partial. */
export function blockOverlapV4(start: number, prefix: number, iv: ArrayLike<number>): 0 | 1 | 2 {
  const end = start + 2 ** (32 - prefix) - 1;
  const k = firstEndingAtOrAfterV4(iv, start);
  if (k === iv.length >> 1) return 0;
  const lo = iv[2 * k] ?? 0;
  if (lo > end) return 0;
  return lo <= start && (iv[2 * k + 1] ?? 0) >= end ? 1 : 2;
}

/** Overlap of the IPv6 block with the intervals: 0 none, 1 covered by one interval, 2 partial. */
export function blockOverlapV6(start: bigint, prefix: number, iv: readonly bigint[]): 0 | 1 | 2 {
  const end = start + (1n << BigInt(128 - prefix)) - 1n;
  const k = firstEndingAtOrAfterV6(iv, start);
  if (k === iv.length >> 1) return 0;
  const lo = iv[2 * k] ?? 0n;
  if (lo > end) return 0;
  return lo <= start && (iv[2 * k + 1] ?? 0n) >= end ? 1 : 2;
}

/** Push [start, prefix] pairs of (block - intervals) onto `out`, ascending. */
export function subtractFromBlockV4(start: number, prefix: number, iv: ArrayLike<number>, out: number[]): void {
  const state = blockOverlapV4(start, prefix, iv);
  if (state === 0) {
    out.push(start, prefix);
    return;
  }
  if (state === 1) return;
  const half = 2 ** (31 - prefix);
  subtractFromBlockV4(start, prefix + 1, iv, out);
  subtractFromBlockV4(start + half, prefix + 1, iv, out);
}

/** Push [start, prefix] pairs of (block - intervals) onto `out`, ascending. */
export function subtractFromBlockV6(start: bigint, prefix: number, iv: readonly bigint[], out: Array<[bigint, number]>): void {
  const state = blockOverlapV6(start, prefix, iv);
  if (state === 0) {
    out.push([start, prefix]);
    return;
  }
  if (state === 1) return;
  const half = 1n << BigInt(127 - prefix);
  subtractFromBlockV6(start, prefix + 1, iv, out);
  subtractFromBlockV6(start + half, prefix + 1, iv, out);
}

/** Coalesce sorted [lo, hi] pairs (overlapping or adjacent) in place semantics: returns a new flat list. */
export function coalesceV4(pairs: ReadonlyArray<readonly [number, number]>): number[] {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of sorted) {
    const n = out.length;
    if (n > 0 && lo <= (out[n - 1] ?? 0) + 1) out[n - 1] = Math.max(out[n - 1] ?? 0, hi);
    else out.push(lo, hi);
  }
  return out;
}

export function coalesceV6(pairs: ReadonlyArray<readonly [bigint, bigint]>): bigint[] {
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: bigint[] = [];
  for (const [lo, hi] of sorted) {
    const n = out.length;
    const last = out[n - 1] ?? 0n;
    if (n > 0 && lo <= last + 1n) out[n - 1] = last > hi ? last : hi;
    else out.push(lo, hi);
  }
  return out;
}
