/**
 * mergeWeighted: mergeCidrs for ranked input. Each merged CIDR carries the largest weight among the
 * inputs it covers (every input lies inside exactly one merged CIDR). Used to rank ranges when a target
 * is over capacity (weight = score, then recency, folded into one number by the caller). Weights are
 * compared with ">", so NaN never wins; a block whose inputs all had NaN gets -Infinity. Output order
 * and CIDR text are exactly mergeCidrs'. Throws InvalidCidrError on unparsable text.
 */
import { CidrStore } from './cidr-store.ts';
import type { CidrSyntaxOk } from './cidr-syntax.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6 } from './ipv6-text.ts';
import { addToStore, parseCidrOrThrow } from './numeric-cidr.ts';

export interface WeightedCidr {
  cidr: string;
  weight: number;
}

export function mergeWeighted(items: Iterable<{ cidr: string; weight: number }>): WeightedCidr[] {
  const store = new CidrStore();
  const inputs = new WeightedInputs();
  for (const item of items) {
    const p = parseCidrOrThrow(item.cidr, 'mergeWeighted');
    addToStore(store, p);
    inputs.add(p, item.weight);
  }
  const v4 = store.viewV4();
  const v6 = store.viewV6();
  return weightedOutput(v4, inputs.weightsV4(v4), v6, inputs.weightsV6(v6));
}

type ViewV4 = ReturnType<CidrStore['viewV4']>;
type ViewV6 = ReturnType<CidrStore['viewV6']>;

/**
 * The inputs' addresses and weights in compact columns (not one parsed object per input: those cost
 * ~400 bytes each), then each merged block's weight: the largest of the inputs inside it.
 */
class WeightedInputs {
  private n4 = 0;
  private n6 = 0;
  private s4 = new Uint32Array(1024);
  private ww4 = new Float64Array(1024);
  private a6 = new Uint32Array(4 * 256);
  private ww6 = new Float64Array(256);

  add(p: CidrSyntaxOk, weight: number): void {
    if (p.family === 4) {
      if (this.n4 === this.s4.length) {
        this.s4 = grown(this.s4, this.n4 * 2);
        this.ww4 = grown(this.ww4, this.n4 * 2);
      }
      this.s4[this.n4] = p.start;
      this.ww4[this.n4] = weight;
      this.n4 += 1;
    } else {
      if (this.n6 === this.ww6.length) {
        this.a6 = grown(this.a6, this.n6 * 8);
        this.ww6 = grown(this.ww6, this.n6 * 2);
      }
      this.a6.set(p.words.subarray(0, 4), this.n6 * 4);
      this.ww6[this.n6] = weight;
      this.n6 += 1;
    }
  }

  /** Weight of each merged IPv4 block (binary search for the block holding each input). */
  weightsV4(v4: ViewV4): Float64Array {
    const w4 = new Float64Array(v4.count).fill(-Infinity);
    for (let k = 0; k < this.n4; k++) {
      const start = this.s4[k] ?? 0;
      const weight = this.ww4[k] ?? NaN;
      let lo = 0;
      let hi = v4.count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((v4.starts[mid] ?? 0) <= start) lo = mid;
        else hi = mid - 1;
      }
      if (weight > (w4[lo] ?? -Infinity)) w4[lo] = weight;
    }
    return w4;
  }

  /** Weight of each merged IPv6 block. */
  weightsV6(v6: ViewV6): Float64Array {
    const w6 = new Float64Array(v6.count).fill(-Infinity);
    for (let k = 0; k < this.n6; k++) {
      const words = this.a6.subarray(k * 4, k * 4 + 4);
      const weight = this.ww6[k] ?? NaN;
      let lo = 0;
      let hi = v6.count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (compareWords(v6.words, mid, words) <= 0) lo = mid;
        else hi = mid - 1;
      }
      if (weight > (w6[lo] ?? -Infinity)) w6[lo] = weight;
    }
    return w6;
  }
}

/** The merged blocks as text with their weights: IPv4 ascending, then IPv6 ascending. */
function weightedOutput(v4: ViewV4, w4: Float64Array, v6: ViewV6, w6: Float64Array): WeightedCidr[] {
  const out: WeightedCidr[] = [];
  for (let i = 0; i < v4.count; i++) out.push({ cidr: formatIPv4Cidr(v4.starts[i] ?? 0, v4.prefixes[i] ?? 0), weight: w4[i] ?? -Infinity });
  for (let i = 0; i < v6.count; i++) {
    const w = v6.words;
    const text = formatIPv6(w[i * 4] ?? 0, w[i * 4 + 1] ?? 0, w[i * 4 + 2] ?? 0, w[i * 4 + 3] ?? 0);
    out.push({ cidr: `${text}/${v6.prefixes[i] ?? 0}`, weight: w6[i] ?? -Infinity });
  }
  return out;
}

/** A copy of `a` with room for `length` entries. */
function grown<T extends Uint32Array | Float64Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}

/** Compare merged entry i (four words in `words`) with an address held in `b`. */
function compareWords(words: Uint32Array, i: number, b: Uint32Array): number {
  for (let k = 0; k < 4; k++) {
    const d = (words[i * 4 + k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
