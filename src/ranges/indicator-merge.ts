/**
 * IndicatorMerge: indicator input (bytes, in chunks) → a RangeAccumulator, in memory that follows the
 * number of distinct ranges, not the input size. The streaming core of `tq-entra ranges merge` and
 * `plan`/`apply --indicators`: lines are read by the shared line reader (indicator-lines.ts: UTF-16,
 * CR-only line ends, `# comments`, first token of a line), a plain dotted quad is parsed straight from
 * the bytes, everything else takes the accumulator's full parser.
 *
 * finalStore() gives what the service would block: merged, minus a never-block list, with blocks that
 * merging made broader than the floor cut back to it (serviceSplitFloors: the configured floor, never
 * broader than Graph's /8), so `ranges merge` prints what a reconcile would write.
 */
import type { CidrStore } from './cidr-store.ts';
import { IndicatorLineSplitter, parseIndicatorLine, type LineEncoding } from './indicator-lines.ts';
import { RangeAccumulator } from './range-accumulator.ts';
import type { RangeOptions } from './range-options.ts';
import type { RejectCode } from './reason-codes.ts';
import { serviceSplitFloors, splitStoreBroaderThan } from './split-broader-than.ts';
import { subtractStoresToStore } from './subtract-cidrs.ts';

export interface IndicatorMergeHooks {
  /**
   * A line was rejected: its number, the value (for an over-long line, its first 80 characters and
   * `cut` true) and the reason. Not called when absent.
   */
  rejected?: (line: number, value: string, code: RejectCode, cut: boolean) => void;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const latin1 = new TextDecoder('latin1');

export class IndicatorMerge {
  readonly acc: RangeAccumulator;
  /** Blank and comment lines. */
  skipped = 0;
  private readonly splitter: IndicatorLineSplitter;

  constructor(options: RangeOptions, hooks: IndicatorMergeHooks = {}) {
    const acc = new RangeAccumulator(options);
    this.acc = acc;
    const rejected = hooks.rejected;
    this.splitter = new IndicatorLineSplitter({
      lines: (buf, from, to, first) =>
        acc.addLines(
          buf,
          from,
          to,
          (f, t, index) => {
            // Not a plain dotted quad: blank, comment, IPv6, whitespace, a BOM, a trailing comment, junk.
            const value = parseIndicatorLine(utf8.decode(buf.subarray(f, t)));
            if (value === undefined) {
              this.skipped++;
              return;
            }
            const code = acc.add(value);
            if (code !== null) rejected?.(first + index, value, code, false);
          },
          (code, f, t, index) => rejected?.(first + index, latin1.decode(buf.subarray(f, t)), code, false),
        ),
      overlong: (line, head) => {
        acc.recordRejection('NOT_AN_ADDRESS', head);
        rejected?.(line, head, 'NOT_AN_ADDRESS', true);
      },
    });
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  /** Lines read so far. */
  get lines(): number {
    return this.splitter.lineCount;
  }

  get encoding(): LineEncoding {
    return this.splitter.encoding;
  }

  /**
   * The merged ranges minus `neverBlock` (a store of CIDRs, collapsed), cut back to the split floors
   * (default: the service's, from the accumulator's floors). No string per range.
   */
  finalStore(neverBlock?: CidrStore, split?: { v4: number; v6: number }): CidrStore {
    const store = this.acc.cidrStore();
    store.collapse();
    const kept = neverBlock ? subtractStoresToStore(store, neverBlock) : store;
    const floors = split ?? serviceSplitFloors(this.acc.options.minPrefixV4, this.acc.options.minPrefixV6);
    return splitStoreBroaderThan(kept, floors.v4, floors.v6);
  }
}
