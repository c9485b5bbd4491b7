/**
 * mergeWeighted: mergeCidrs for ranked input. Each merged CIDR carries the largest weight among the
 * inputs it covers (every input lies inside exactly one merged CIDR). Used to rank ranges when a target
 * is over capacity (weight = score, then recency, folded into one number by the caller). Weights are
 * compared with ">", so NaN never wins; a block whose inputs all had NaN gets -Infinity. Output order
 * and CIDR text are exactly mergeCidrs'. Throws InvalidCidrError on unparsable text.
 *
 * WeightedMerge is the same merge for large inputs, without an object per input or per output: add
 * CIDRs one at a time (each with an optional label, e.g. the source it came from), then read the merged
 * blocks as columns (`MergedWeighted`: weight and label set per block, the CIDR text in batches of
 * lines), so a caller can encode or filter a million blocks without holding a million objects. Labels
 * are numbered 0..labels-1; a block's label set is the union of the labels of the inputs inside it.
 */
import { CidrStore } from './cidr-store.ts';
import { cidrLineChunks } from './cidr-line-chunks.ts';
import { addToStore, parseCidrOrThrow } from './numeric-cidr.ts';

export interface WeightedCidr {
  cidr: string;
  weight: number;
}

export function mergeWeighted(items: Iterable<{ cidr: string; weight: number }>): WeightedCidr[] {
  const merge = new WeightedMerge();
  for (const item of items) merge.add(item.cidr, item.weight);
  const m = merge.result();
  const out: WeightedCidr[] = [];
  for (const lines of m.cidrBatches()) for (const cidr of lines) out.push({ cidr, weight: m.weights[out.length] ?? -Infinity });
  return out;
}

/** The merged blocks of a WeightedMerge, IPv4 ascending then IPv6 ascending, as columns. */
export interface MergedWeighted {
  count: number;
  /** Largest weight of the inputs inside each block (-Infinity when all were NaN). */
  weights: Float64Array;
  /** Label sets: `labelWords` Uint32 words per block, bit l of the set = label l. */
  labelWords: number;
  labels: Uint32Array;
  /**
   * The blocks' canonical CIDR text, in order, in batches of lines (about `batchBytes` of text each).
   * V8 makes each line of 13 characters or more a slice of its batch's text: a caller that keeps a
   * few lines of many batches keeps every batch alive unless it keeps `detachedCidr(line)` instead.
   */
  cidrBatches(batchBytes?: number): Generator<string[]>;
}

/**
 * A copy of a CIDR line that holds no reference to the text it was split from (measured: 390,000 of
 * 1,950,000 lines kept as slices held 63 MB of heap, as copies 33 MB; about 0.1 s per 390,000 copies).
 */
export function detachedCidr(line: string): string {
  return Buffer.from(line, 'latin1').toString('latin1');
}

const latin1 = new TextDecoder('latin1');

/** Growable columns of the inputs: address, weight, label set. */
export class WeightedMerge {
  private readonly store = new CidrStore();
  private readonly words: number;
  private n4 = 0;
  private n6 = 0;
  private s4 = new Uint32Array(1024);
  private ww4 = new Float64Array(1024);
  private l4: Uint32Array;
  private a6 = new Uint32Array(4 * 256);
  private ww6 = new Float64Array(256);
  private l6: Uint32Array;

  /** `labels`: how many labels inputs may carry (0..labels-1). */
  constructor(labels = 1) {
    this.words = Math.max(1, Math.ceil(labels / 32));
    this.l4 = new Uint32Array(1024 * this.words);
    this.l6 = new Uint32Array(256 * this.words);
  }

  add(cidr: string, weight: number, label = 0): void {
    const p = parseCidrOrThrow(cidr, 'mergeWeighted');
    addToStore(this.store, p);
    const word = label >>> 5;
    const bit = (1 << (label & 31)) >>> 0;
    if (p.family === 4) {
      if (this.n4 === this.ww4.length) {
        this.s4 = grown(this.s4, this.n4 * 2);
        this.ww4 = grown(this.ww4, this.n4 * 2);
        this.l4 = grown(this.l4, this.n4 * 2 * this.words);
      }
      this.s4[this.n4] = p.start;
      this.ww4[this.n4] = weight;
      this.l4[this.n4 * this.words + word] = bit;
      this.n4 += 1;
    } else {
      if (this.n6 === this.ww6.length) {
        this.a6 = grown(this.a6, this.n6 * 8);
        this.ww6 = grown(this.ww6, this.n6 * 2);
        this.l6 = grown(this.l6, this.n6 * 2 * this.words);
      }
      this.a6.set(p.words.subarray(0, 4), this.n6 * 4);
      this.ww6[this.n6] = weight;
      this.l6[this.n6 * this.words + word] = bit;
      this.n6 += 1;
    }
  }

  /** The merged blocks (the inputs' columns are released; add nothing after this). */
  result(): MergedWeighted {
    const store = this.store;
    const v4 = store.viewV4();
    const v6 = store.viewV6();
    const count = v4.count + v6.count;
    const W = this.words;
    const weights = new Float64Array(count).fill(-Infinity);
    const labels = new Uint32Array(count * W);
    for (let k = 0; k < this.n4; k++) this.fold(weights, labels, blockOfV4(v4, this.s4[k] ?? 0), this.ww4[k] ?? NaN, this.l4, k);
    for (let k = 0; k < this.n6; k++) this.fold(weights, labels, v4.count + blockOfV6(v6, this.a6, k), this.ww6[k] ?? NaN, this.l6, k);
    this.s4 = this.a6 = this.l4 = this.l6 = new Uint32Array(0);
    this.ww4 = this.ww6 = new Float64Array(0);
    return {
      count,
      weights,
      labelWords: W,
      labels,
      *cidrBatches(batchBytes = 1 << 18) {
        for (const chunk of cidrLineChunks(store, batchBytes)) {
          const lines = latin1.decode(chunk).split('\n');
          lines.pop(); // after the chunk's final newline
          yield lines;
        }
      },
    };
  }

  private fold(weights: Float64Array, labels: Uint32Array, block: number, weight: number, from: Uint32Array, k: number): void {
    if (weight > (weights[block] ?? -Infinity)) weights[block] = weight;
    const W = this.words;
    for (let w = 0; w < W; w++) labels[block * W + w] = ((labels[block * W + w] ?? 0) | (from[k * W + w] ?? 0)) >>> 0;
  }
}

type ViewV4 = ReturnType<CidrStore['viewV4']>;
type ViewV6 = ReturnType<CidrStore['viewV6']>;

/** Index of the merged IPv4 block holding `start` (binary search). */
function blockOfV4(v4: ViewV4, start: number): number {
  let lo = 0;
  let hi = v4.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((v4.starts[mid] ?? 0) <= start) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Index of the merged IPv6 block holding input k (four words at k * 4 in `a6`). */
function blockOfV6(v6: ViewV6, a6: Uint32Array, k: number): number {
  let lo = 0;
  let hi = v6.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (compareWords(v6.words, mid, a6, k) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A copy of `a` with room for `length` entries. */
function grown<T extends Uint32Array | Float64Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}

/** Compare merged entry i (four words in `words`) with input k (four words in `b`). */
function compareWords(words: Uint32Array, i: number, b: Uint32Array, k: number): number {
  for (let x = 0; x < 4; x++) {
    const d = (words[i * 4 + x] ?? 0) - (b[k * 4 + x] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
