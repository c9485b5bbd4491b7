/**
 * mergeWeighted: mergeCidrs for ranked input. Each merged CIDR carries the largest weight among the
 * inputs it covers (every input lies inside exactly one merged CIDR). Used to rank ranges when a target
 * is over capacity (weight = score, then recency, folded into one number by the caller). Weights are
 * compared with ">", so NaN never wins; a block whose inputs all had NaN gets -Infinity. Output order
 * and CIDR text are exactly mergeCidrs'. Throws InvalidCidrError on unparsable text.
 */
import { CidrStore } from './cidr-store.ts';
import { formatIPv4Cidr } from './ipv4-text.ts';
import { formatIPv6 } from './ipv6-text.ts';
import { addToStore, parseCidrOrThrow } from './numeric-cidr.ts';

export interface WeightedCidr {
  cidr: string;
  weight: number;
}

export function mergeWeighted(items: Iterable<{ cidr: string; weight: number }>): WeightedCidr[] {
  const store = new CidrStore();
  // Inputs kept in compact columns (not one parsed object per input: those cost ~400 bytes each).
  let n4 = 0;
  let n6 = 0;
  let s4 = new Uint32Array(1024);
  let ww4 = new Float64Array(1024);
  let a6 = new Uint32Array(4 * 256);
  let ww6 = new Float64Array(256);
  for (const item of items) {
    const p = parseCidrOrThrow(item.cidr, 'mergeWeighted');
    addToStore(store, p);
    if (p.family === 4) {
      if (n4 === s4.length) {
        s4 = grown(s4, n4 * 2);
        ww4 = grown(ww4, n4 * 2);
      }
      s4[n4] = p.start;
      ww4[n4] = item.weight;
      n4 += 1;
    } else {
      if (n6 === ww6.length) {
        a6 = grown(a6, n6 * 8);
        ww6 = grown(ww6, n6 * 2);
      }
      a6.set(p.words.subarray(0, 4), n6 * 4);
      ww6[n6] = item.weight;
      n6 += 1;
    }
  }
  const v4 = store.viewV4();
  const v6 = store.viewV6();
  const w4 = new Float64Array(v4.count).fill(-Infinity);
  const w6 = new Float64Array(v6.count).fill(-Infinity);

  for (let k = 0; k < n4; k++) {
    const start = s4[k] ?? 0;
    const weight = ww4[k] ?? NaN;
    let lo = 0;
    let hi = v4.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((v4.starts[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    if (weight > (w4[lo] ?? -Infinity)) w4[lo] = weight;
  }
  for (let k = 0; k < n6; k++) {
    const words = a6.subarray(k * 4, k * 4 + 4);
    const weight = ww6[k] ?? NaN;
    let lo = 0;
    let hi = v6.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareWords(v6.words, mid, words) <= 0) lo = mid;
      else hi = mid - 1;
    }
    if (weight > (w6[lo] ?? -Infinity)) w6[lo] = weight;
  }

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
