/**
 * The hot core of every merge: sort once, sweep once, in place, on typed arrays.
 *
 * Input: CIDRs as (network start, prefix) with host bits clear; IPv4 starts in a Uint32Array, IPv6
 * starts as four words per entry (most significant first). Sort: LSD radix sort on 16-bit digits
 * (2 passes for IPv4; up to 8 for IPv6, skipping digits that are equal in every key). Sweep: a stack
 * of disjoint blocks in ascending order; each next block is dropped when the top contains it, replaces
 * the top when it contains the top, else is pushed; then, while the two top blocks are siblings (same
 * prefix, the left one aligned to the parent), they are replaced by their parent. The result is the set
 * of maximal aligned blocks of the union: exactly what Python's ipaddress.collapse_addresses returns.
 */

const counts = new Int32Array(65537);

const countsHigh = new Int32Array(65537);

/** Sort IPv4 (start, prefix) pairs by start. `tmpS`/`tmpP` are scratch of at least n entries. */
export function sortV4(starts: Uint32Array, prefixes: Uint8Array, n: number, tmpS: Uint32Array, tmpP: Uint8Array): void {
  if (n < 2) return;
  // One counting pass for both 16-bit digits, then low digit into tmp, high digit back.
  const lo = counts;
  const hi = countsHigh;
  lo.fill(0);
  hi.fill(0);
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    lo[(s & 0xffff) + 1]!++;
    hi[(s >>> 16) + 1]!++;
  }
  for (let d = 1; d <= 65536; d++) {
    lo[d]! += lo[d - 1]!;
    hi[d]! += hi[d - 1]!;
  }
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    const at = lo[s & 0xffff]!++;
    tmpS[at] = s;
    tmpP[at] = prefixes[i]!;
  }
  for (let i = 0; i < n; i++) {
    const s = tmpS[i]!;
    const at = hi[s >>> 16]!++;
    starts[at] = s;
    prefixes[at] = tmpP[i]!;
  }
}

/** SIZE_V4[p] = 2^(32-p), the number of addresses in an IPv4 /p. */
const SIZE_V4 = Float64Array.from({ length: 33 }, (_, p) => 2 ** (32 - p));

/** Collapse sorted IPv4 blocks in place; returns the new count. */
export function collapseV4(starts: Uint32Array, prefixes: Uint8Array, n: number): number {
  let top = -1;
  let topEnd = -1; // last address of the top block
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    const p = prefixes[i]!;
    if (s <= topEnd) {
      // Overlap of aligned blocks means nesting; s >= top's start, so either top contains this one or
      // (same start, shorter prefix) this one contains top.
      if (p >= prefixes[top]!) continue;
      prefixes[top] = p;
    } else {
      top++;
      starts[top] = s;
      prefixes[top] = p;
    }
    // Merge siblings while possible: same prefix, left one aligned to the parent, right one next to it.
    let tp = prefixes[top]!;
    while (top > 0 && tp !== 0 && prefixes[top - 1] === tp) {
      const size = SIZE_V4[tp]!;
      const left = starts[top - 1]!;
      if (starts[top] !== left + size || (left & size) !== 0) break;
      top--;
      tp--;
      prefixes[top] = tp;
    }
    topEnd = starts[top]! + SIZE_V4[tp]! - 1;
  }
  return top + 1;
}

/** Sort IPv6 blocks by start (4 words each); returns the permutation applied via gather into new arrays. */
export function sortV6(words: Uint32Array, prefixes: Uint8Array, n: number): { words: Uint32Array; prefixes: Uint8Array } {
  if (n < 2) return { words, prefixes };
  let order = new Int32Array(n);
  let next = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Digits from least significant: word 3 low, word 3 high, word 2 low, ... word 0 high.
  for (let d = 0; d < 8; d++) {
    const w = 3 - (d >> 1);
    const shift = (d & 1) * 16;
    const first = ((words[w] ?? 0) >>> shift) & 0xffff;
    let same = true;
    for (let i = 1; i < n && same; i++) same = (((words[i * 4 + w] ?? 0) >>> shift) & 0xffff) === first;
    if (same) continue;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(((words[i * 4 + w] ?? 0) >>> shift) & 0xffff) + 1]!++;
    for (let k = 1; k <= 65536; k++) counts[k]! += counts[k - 1]!;
    for (let i = 0; i < n; i++) {
      const idx = order[i] ?? 0;
      next[counts[((words[idx * 4 + w] ?? 0) >>> shift) & 0xffff]!++] = idx;
    }
    const t = order;
    order = next;
    next = t;
  }
  const outW = new Uint32Array(words.length);
  const outP = new Uint8Array(prefixes.length);
  for (let i = 0; i < n; i++) {
    const idx = order[i] ?? 0;
    outW[i * 4] = words[idx * 4] ?? 0;
    outW[i * 4 + 1] = words[idx * 4 + 1] ?? 0;
    outW[i * 4 + 2] = words[idx * 4 + 2] ?? 0;
    outW[i * 4 + 3] = words[idx * 4 + 3] ?? 0;
    outP[i] = prefixes[idx] ?? 0;
  }
  return { words: outW, prefixes: outP };
}

/** Host-bit mask of word w (0..3) for a prefix. */
function hostMask(w: number, prefix: number): number {
  const net = prefix - 32 * w;
  if (net >= 32) return 0;
  if (net <= 0) return 0xffffffff;
  return 0xffffffff >>> net;
}

/** Is block j's start <= block i's last address? (i, j entry indexes) */
function startWithin(words: Uint32Array, i: number, tp: number, j: number): boolean {
  for (let w = 0; w < 4; w++) {
    const end = ((words[i * 4 + w] ?? 0) | hostMask(w, tp)) >>> 0;
    const s = words[j * 4 + w] ?? 0;
    if (s !== end) return s < end;
  }
  return true;
}

/** Are blocks a (left) and b (right), both of prefix p > 0, the two halves of one parent? */
function siblings(words: Uint32Array, a: number, b: number, p: number): boolean {
  const bit = p - 1; // index of the bit that distinguishes the halves
  const w = bit >> 5;
  const mask = (0x80000000 >>> (bit & 31)) >>> 0;
  for (let k = 0; k < 4; k++) {
    const av = words[a * 4 + k] ?? 0;
    const bv = words[b * 4 + k] ?? 0;
    if (k === w) {
      if ((av & mask) !== 0 || ((av | mask) >>> 0) !== bv) return false;
    } else if (av !== bv) {
      return false;
    }
  }
  return true;
}

function copyEntry(words: Uint32Array, prefixes: Uint8Array, from: number, to: number): void {
  words[to * 4] = words[from * 4] ?? 0;
  words[to * 4 + 1] = words[from * 4 + 1] ?? 0;
  words[to * 4 + 2] = words[from * 4 + 2] ?? 0;
  words[to * 4 + 3] = words[from * 4 + 3] ?? 0;
  prefixes[to] = prefixes[from] ?? 0;
}

/** Collapse sorted IPv6 blocks in place; returns the new count. */
export function collapseV6(words: Uint32Array, prefixes: Uint8Array, n: number): number {
  let top = -1;
  for (let i = 0; i < n; i++) {
    const p = prefixes[i] ?? 0;
    if (top >= 0 && startWithin(words, top, prefixes[top] ?? 0, i)) {
      if (p >= (prefixes[top] ?? 0)) continue;
      prefixes[top] = p; // same start, broader: it contains the top
    } else {
      top++;
      if (top !== i) copyEntry(words, prefixes, i, top);
    }
    while (top > 0) {
      const bp = prefixes[top] ?? 0;
      if (bp === 0 || (prefixes[top - 1] ?? 0) !== bp || !siblings(words, top - 1, top, bp)) break;
      top--;
      prefixes[top] = bp - 1;
    }
  }
  return top + 1;
}
