/**
 * A growable set of numeric CIDRs in typed arrays (IPv4: Uint32 start + Uint8 prefix, 5 bytes each;
 * IPv6: four Uint32 words + Uint8 prefix, 17 bytes each), collapsed on demand by collapse-core.ts.
 *
 * Memory: arrays double until they hold COMPACT_AT entries; from then on a full array is first
 * collapsed in place and only grows when collapsing freed less than a quarter of it. So memory follows
 * the number of distinct merged ranges, not the number of values added.
 */
import { collapseV4, collapseV6, sortV4, sortV6 } from './collapse-core.ts';
import { cidrLines } from './cidr-line-chunks.ts';

/** Entries (IPv4; a quarter of it for IPv6) from which a full store collapses before growing. */
export const COMPACT_AT = 1 << 20;

export class CidrStore {
  private v4s: Uint32Array;
  private v4p: Uint8Array;
  private n4 = 0;
  private sorted4 = true;
  private v6w: Uint32Array;
  private v6p: Uint8Array;
  private n6 = 0;
  private sorted6 = true;

  private readonly compactAt: number;

  constructor(initialCapacity = 1024, compactAt = COMPACT_AT) {
    const cap = Math.max(16, initialCapacity);
    this.compactAt = Math.max(16, compactAt);
    this.v4s = new Uint32Array(cap);
    this.v4p = new Uint8Array(cap);
    this.v6w = new Uint32Array(64 * 4);
    this.v6p = new Uint8Array(64);
  }

  /** Add an IPv4 CIDR: network address (host bits clear) and prefix 0-32. */
  addV4(start: number, prefix: number): void {
    if (this.n4 === this.v4s.length) this.makeRoomV4();
    this.v4s[this.n4] = start;
    this.v4p[this.n4++] = prefix;
    this.sorted4 = false;
  }

  /** Add an IPv6 CIDR: network address as four words (host bits clear) and prefix 0-128. */
  addV6(w0: number, w1: number, w2: number, w3: number, prefix: number): void {
    if (this.n6 === this.v6p.length) this.makeRoomV6();
    const at = this.n6 * 4;
    this.v6w[at] = w0;
    this.v6w[at + 1] = w1;
    this.v6w[at + 2] = w2;
    this.v6w[at + 3] = w3;
    this.v6p[this.n6++] = prefix;
    this.sorted6 = false;
  }

  private makeRoomV4(): void {
    const cap = this.v4s.length;
    if (cap >= this.compactAt) {
      this.collapseV4();
      if (this.n4 <= cap * 0.75) return;
    }
    const s = new Uint32Array(cap * 2);
    s.set(this.v4s);
    const p = new Uint8Array(cap * 2);
    p.set(this.v4p);
    this.v4s = s;
    this.v4p = p;
  }

  private makeRoomV6(): void {
    const cap = this.v6p.length;
    if (cap >= this.compactAt / 4) {
      this.collapseV6();
      if (this.n6 <= cap * 0.75) return;
    }
    const w = new Uint32Array(cap * 8);
    w.set(this.v6w);
    const p = new Uint8Array(cap * 2);
    p.set(this.v6p);
    this.v6w = w;
    this.v6p = p;
  }

  private collapseV4(): void {
    if (this.sorted4) return;
    sortV4(this.v4s, this.v4p, this.n4, new Uint32Array(this.n4), new Uint8Array(this.n4));
    this.n4 = collapseV4(this.v4s, this.v4p, this.n4);
    this.sorted4 = true;
  }

  private collapseV6(): void {
    if (this.sorted6) return;
    const sorted = sortV6(this.v6w, this.v6p, this.n6);
    this.v6w = sorted.words;
    this.v6p = sorted.prefixes;
    this.n6 = collapseV6(this.v6w, this.v6p, this.n6);
    this.sorted6 = true;
  }

  /** Collapse both families to their minimal CIDR sets (idempotent). */
  collapse(): void {
    this.collapseV4();
    this.collapseV6();
  }

  /**
   * Declare the entries already collapsed: the caller added them in ascending order, disjoint and
   * with no two mergeable (e.g. the output of a set operation on collapsed stores), so collapse() and
   * the views leave them as they are. Floor-split pieces rely on this: collapsing them would merge them
   * back.
   */
  sealCollapsed(): this {
    this.sorted4 = true;
    this.sorted6 = true;
    return this;
  }

  /** Entry counts (after collapse(): the number of merged CIDRs per family). */
  get sizeV4(): number {
    return this.n4;
  }
  get sizeV6(): number {
    return this.n6;
  }

  /** Collapsed IPv4 entries; valid until the next add. */
  viewV4(): { starts: Uint32Array; prefixes: Uint8Array; count: number } {
    this.collapseV4();
    return { starts: this.v4s.subarray(0, this.n4), prefixes: this.v4p.subarray(0, this.n4), count: this.n4 };
  }

  /** Collapsed IPv6 entries (four words each); valid until the next add. */
  viewV6(): { words: Uint32Array; prefixes: Uint8Array; count: number } {
    this.collapseV6();
    return { words: this.v6w.subarray(0, this.n6 * 4), prefixes: this.v6p.subarray(0, this.n6), count: this.n6 };
  }

  /** The merged CIDRs as canonical text: IPv4 ascending, then IPv6 ascending. */
  toCidrs(): string[] {
    this.collapse();
    return cidrLines(this);
  }
}
