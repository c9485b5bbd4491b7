/**
 * RangeAccumulator: the batch path of the range engine (ingest, `tq-entra ranges merge`).
 *
 * add() every indicator, then toCidrs() for the merged minimal CIDR list (IPv4 ascending, then IPv6).
 * Same rules and codes as parseIndicator, but the common case (a plain dotted quad or "a.b.c.d/nn")
 * is parsed straight from char codes (or bytes, addBytes) into a uint32 and stored in typed arrays
 * (cidr-store.ts) without a per-value object; everything else goes through the full parser. Rejections
 * and warnings are tallied by code with the first few values of each as examples. Never throws on
 * input.
 */
import { CidrStore } from './cidr-store.ts';
import { parseCidrSyntax } from './cidr-syntax.ts';
import { classifyRange } from './classify-range.ts';
import { fastIPv4, fastIPv4Bytes, fastIPv4Line, fastPrefix, fastStop } from './fast-ipv4.ts';
import type { RejectCode, WarningCode } from './reason-codes.ts';
import type { IndicatorType } from './domain-types.ts';
import type { RangeOptions } from './range-options.ts';
import { PUBLIC, WHOLLY_RESERVED, publicPartsV4, reservedStateV4 } from './reserved-space.ts';

export interface CodeTally {
  count: number;
  /** The first values seen with this code (at most `examplesPerCode`, each cut to 200 characters). */
  examples: string[];
}

export interface RangeAccumulatorSettings {
  /** Examples kept per code (default 5). */
  examplesPerCode?: number;
}

const EXAMPLE_MAX_CHARS = 200;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a BOM: the parser trims it, examples show it

export class RangeAccumulator {
  readonly options: Readonly<RangeOptions>;
  /** Values accepted (each may contribute several CIDRs after reserved space was removed). */
  accepted = 0;
  /** Values rejected. */
  rejected = 0;
  private readonly store = new CidrStore();
  private readonly rejects = new Map<RejectCode, CodeTally>();
  private readonly warns = new Map<WarningCode, CodeTally>();
  private readonly examplesPerCode: number;
  // The value being added, materialised as text only when an example needs it.
  private curText: string | undefined;
  private curBytes: Uint8Array | undefined;
  private curFrom = 0;
  private curTo = 0;

  constructor(options: RangeOptions, settings: RangeAccumulatorSettings = {}) {
    this.options = Object.freeze({ ...options });
    this.examplesPerCode = settings.examplesPerCode ?? 5;
  }

  /** Add one indicator value. Returns null when accepted, else the rejection code. */
  add(value: string, type?: IndicatorType): RejectCode | null {
    this.curText = value;
    this.curBytes = undefined;
    const addr = fastIPv4(value);
    if (addr >= 0) return this.addFastV4(addr, fastPrefix(), type);
    return this.addSlow(value, type);
  }

  /**
   * Add the value held in bytes[from, to) (one line, without its newline). The common case is parsed
   * without making a string; anything else is decoded as UTF-8 and takes add()'s full path.
   */
  addBytes(bytes: Uint8Array, from: number, to: number, type?: IndicatorType): RejectCode | null {
    this.curText = undefined;
    this.curBytes = bytes;
    this.curFrom = from;
    this.curTo = to;
    const addr = fastIPv4Bytes(bytes, from, to);
    if (addr >= 0) return this.addFastV4(addr, fastPrefix(), type);
    const text = utf8.decode(bytes.subarray(from, to));
    this.curText = text;
    return this.addSlow(text, type);
  }

  /**
   * Add the lines of bytes[from, to), where `to` is the end of input or just after a newline. A plain
   * dotted quad ("a.b.c.d", "a.b.c.d/nn", optional CR) is parsed in the same pass that finds the end of
   * its line; a rejection there is reported through `rejected`. Every other line (blank, comment,
   * IPv6, whitespace, junk) goes to `other` untouched, for the caller to skip or add(). Line bounds
   * exclude the newline and a CR before it; `index` counts lines from 0 within this call. Returns the
   * number of lines.
   */
  addLines(
    bytes: Uint8Array,
    from: number,
    to: number,
    other: (lineFrom: number, lineTo: number, index: number) => void,
    rejected: (code: RejectCode, lineFrom: number, lineTo: number, index: number) => void,
  ): number {
    let index = 0;
    let i = from;
    this.curText = undefined;
    this.curBytes = bytes;
    while (i < to) {
      const addr = fastIPv4Line(bytes, i, to);
      let end = addr >= 0 ? fastStop() : -1;
      let next: number;
      if (end >= 0 && (end === to || bytes[end] === 10 || (bytes[end] === 13 && (end + 1 === to || bytes[end + 1] === 10)))) {
        next = end === to ? to : bytes[end] === 10 ? end + 1 : Math.min(end + 2, to);
        this.curText = undefined;
        this.curFrom = i;
        this.curTo = end;
        const r = this.addFastV4(addr, fastPrefix(), undefined);
        if (r !== null) rejected(r, i, end, index);
      } else {
        const nl = bytes.indexOf(10, i);
        const stop = nl < 0 || nl >= to ? to : nl;
        next = stop === to ? to : stop + 1;
        end = stop > i && bytes[stop - 1] === 13 ? stop - 1 : stop;
        other(i, end, index);
        this.curBytes = bytes;
      }
      index++;
      i = next;
    }
    return index;
  }

  private addFastV4(addr: number, prefix: number, type: IndicatorType | undefined): RejectCode | null {
    let start = addr;
    const o = this.options;
    if (prefix < o.minPrefixV4) return this.addSlow(this.currentText(), type); // full message path
    let hostBits = false;
    if (prefix < 32) {
      const size = 2 ** (32 - prefix);
      const rem = start % size;
      if (rem !== 0) {
        hostBits = true;
        start -= rem;
      }
    }
    if (!o.allowReserved) {
      const state = reservedStateV4(start, prefix);
      if (state === WHOLLY_RESERVED) return this.reject('RESERVED');
      if (state !== PUBLIC) {
        const parts = publicPartsV4(start, prefix);
        if (parts.length === 0) return this.reject('RESERVED');
        this.note(type, prefix, hostBits);
        this.warn('RESERVED_PART_REMOVED');
        for (let i = 0; i < parts.length; i += 2) this.store.addV4(parts[i] ?? 0, parts[i + 1] ?? 0);
        this.accepted++;
        return null;
      }
    }
    this.note(type, prefix, hostBits);
    this.store.addV4(start, prefix);
    this.accepted++;
    return null;
  }

  /** Warnings of an accepted fast-path IPv4 value, in classify-range.ts order. */
  private note(type: IndicatorType | undefined, prefix: number, hostBits: boolean): void {
    if (type !== undefined && (type === 'IPv6 Address' || (type === 'IP Address' && prefix < 32))) this.warn('TYPE_MISMATCH');
    if (hostBits) this.warn('HOST_BITS_CLEARED');
  }

  private addSlow(value: string, type: IndicatorType | undefined): RejectCode | null {
    const syn = parseCidrSyntax(value);
    if (!syn.ok) return this.reject(syn.reason);
    const c = classifyRange(syn, type, this.options);
    if (!c.ok) return this.reject(c.reason);
    for (const w of c.warnings) this.warn(w);
    for (let i = 0; i < c.v4.length; i += 2) this.store.addV4(c.v4[i] ?? 0, c.v4[i + 1] ?? 0);
    for (let i = 0; i < c.v6.length; i += 5) {
      this.store.addV6(c.v6[i] ?? 0, c.v6[i + 1] ?? 0, c.v6[i + 2] ?? 0, c.v6[i + 3] ?? 0, c.v6[i + 4] ?? 0);
    }
    this.accepted++;
    return null;
  }

  /**
   * Count a rejection decided by the caller (e.g. a line too long to hold in memory), with `value` as
   * its example text.
   */
  recordRejection(code: RejectCode, value: string): void {
    this.curText = value;
    this.curBytes = undefined;
    this.reject(code);
  }

  private currentText(): string {
    if (this.curText === undefined) {
      const b = this.curBytes ?? new Uint8Array(0);
      this.curText = latin1.decode(b.subarray(this.curFrom, this.curTo));
    }
    return this.curText;
  }

  private tally<K>(map: Map<K, CodeTally>, code: K): void {
    let t = map.get(code);
    if (!t) {
      t = { count: 0, examples: [] };
      map.set(code, t);
    }
    t.count++;
    if (t.examples.length < this.examplesPerCode) t.examples.push(this.currentText().slice(0, EXAMPLE_MAX_CHARS));
  }

  private reject(code: RejectCode): RejectCode {
    this.rejected++;
    this.tally(this.rejects, code);
    return code;
  }

  private warn(code: WarningCode): void {
    this.tally(this.warns, code);
  }

  /** Rejections so far, by code (only codes that occurred). */
  rejections(): Partial<Record<RejectCode, CodeTally>> {
    return Object.fromEntries([...this.rejects].map(([k, v]) => [k, { count: v.count, examples: [...v.examples] }]));
  }

  /** Warnings so far, by code (only codes that occurred). */
  warnings(): Partial<Record<WarningCode, CodeTally>> {
    return Object.fromEntries([...this.warns].map(([k, v]) => [k, { count: v.count, examples: [...v.examples] }]));
  }

  /** The merged minimal CIDRs of everything accepted: IPv4 ascending, then IPv6 ascending. */
  toCidrs(): string[] {
    return this.store.toCidrs();
  }

  /** The underlying store (collapsed views for numeric consumers such as the CLI's byte writer). */
  cidrStore(): CidrStore {
    return this.store;
  }
}
