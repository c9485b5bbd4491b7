/**
 * CoverIndex: "is this address or CIDR wholly inside the union of a set of ranges?", answered in
 * O(log n) per question. Built from CIDR texts added one at a time (e.g. a target's owned ranges read
 * from Redis in SSCAN batches), so the texts need not all be held at once.
 *
 * The ranges are collapsed (CidrStore: the minimal CIDRs of their union, so a value spanning two
 * ranges that a prefix floor kept apart, 10.0.0.0/8 + 11.0.0.0/8 covering 10.0.0.0/7, counts as
 * covered) and then coalesced into disjoint, non-adjacent intervals (fewer to search: 10.0.0.128/25
 * and 10.0.1.0/24 are one). Questions take any value parseCidrSyntax reads (a bare address is its
 * /32 or /128; IPv4-mapped IPv6 is IPv4); an unreadable value is never covered. Added texts that are
 * not CIDRs are skipped and counted (`skipped`). Memory: 5 (IPv4) or 17 (IPv6) bytes per range while
 * building, then 8 bytes per IPv4 interval and two BigInts per IPv6 interval. Pure, no I/O.
 */
import { CidrStore } from './cidr-store.ts';
import { parseCidrSyntax, type CidrSyntaxOk } from './cidr-syntax.ts';
import { addToStore } from './numeric-cidr.ts';
import { wordsToBigInt } from './ipv6-text.ts';

const V6_ALL = (1n << 128n) - 1n;

function v6Span(words: ArrayLike<number>, at: number, prefix: number): [bigint, bigint] {
  const first = wordsToBigInt(words[at] ?? 0, words[at + 1] ?? 0, words[at + 2] ?? 0, words[at + 3] ?? 0);
  return [first, first | (V6_ALL >> BigInt(prefix))];
}

/** Index of the last interval starting at or before `x` (-1 when none). */
function lastAtOrBefore<T extends number | bigint>(starts: ArrayLike<T>, count: number, x: T): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((starts[mid] as T) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export class CoverIndex {
  private store: CidrStore | undefined = new CidrStore();
  private v4Starts = new Uint32Array(0);
  private v4Ends = new Uint32Array(0);
  private v6Starts: bigint[] = [];
  private v6Ends: bigint[] = [];
  /** Added texts that were not CIDRs or addresses (skipped). */
  skipped = 0;

  /** Add one range (before the first question). */
  add(cidr: string): void {
    if (this.store === undefined) throw new Error('CoverIndex: add after the first question');
    const p = parseCidrSyntax(cidr);
    if (p.ok) addToStore(this.store, p);
    else this.skipped++;
  }

  /** Intervals after coalescing (IPv4 + IPv6). */
  get intervals(): number {
    this.seal();
    return this.v4Starts.length + this.v6Starts.length;
  }

  /** Is `value` (an address or CIDR) wholly inside the union of the ranges added? */
  covers(value: string): boolean {
    this.seal();
    const p = parseCidrSyntax(value);
    return p.ok && this.coversParsed(p);
  }

  private coversParsed(p: CidrSyntaxOk): boolean {
    if (p.family === 4) {
      const first = p.start;
      const last = first + 2 ** (32 - p.prefix) - 1;
      const i = lastAtOrBefore(this.v4Starts, this.v4Starts.length, first);
      return i >= 0 && (this.v4Ends[i] ?? -1) >= last;
    }
    const [first, last] = v6Span(p.words, 0, p.prefix);
    const i = lastAtOrBefore(this.v6Starts, this.v6Starts.length, first);
    return i >= 0 && (this.v6Ends[i] ?? -1n) >= last;
  }

  /** Collapse what was added into coalesced intervals (once). */
  private seal(): void {
    const store = this.store;
    if (store === undefined) return;
    this.store = undefined;
    const v4 = store.viewV4();
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < v4.count; i++) {
      const first = v4.starts[i] ?? 0;
      const last = first + 2 ** (32 - (v4.prefixes[i] ?? 32)) - 1;
      const n = ends.length;
      if (n > 0 && first <= (ends[n - 1] ?? -2) + 1) ends[n - 1] = Math.max(ends[n - 1] ?? 0, last);
      else {
        starts.push(first);
        ends.push(last);
      }
    }
    this.v4Starts = Uint32Array.from(starts);
    this.v4Ends = Uint32Array.from(ends);
    const v6 = store.viewV6();
    for (let i = 0; i < v6.count; i++) {
      const [first, last] = v6Span(v6.words, i * 4, v6.prefixes[i] ?? 128);
      const n = this.v6Ends.length;
      if (n > 0 && first <= (this.v6Ends[n - 1] ?? -2n) + 1n) this.v6Ends[n - 1] = last > (this.v6Ends[n - 1] ?? 0n) ? last : (this.v6Ends[n - 1] ?? 0n);
      else {
        this.v6Starts.push(first);
        this.v6Ends.push(last);
      }
    }
  }
}
