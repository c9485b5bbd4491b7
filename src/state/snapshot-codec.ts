/**
 * Encoding of a snapshot (or a staged chunk): one range per line, `<cidr> <weight>`, sorted as given.
 * Compact, streamable, and cheap to parse: 1,000,000 ranges are about 25 MB.
 *
 * Large sets never need an object per range: `forEachRange` reads a text line by line, and
 * `encodeMerged` writes the range engine's merged columns (MergedWeighted) batch by batch.
 *
 * The weight ranks ranges when a target is over capacity: see priority.ts.
 */
import type { MergedWeighted } from '../ranges/index.ts';

export interface WeightedRange {
  cidr: string;
  weight: number;
}

/** An encoded snapshot and the ranges it holds (what encodeMerged returns). */
export interface EncodedRanges {
  text: string;
  count: number;
}

export function encodeRanges(entries: Iterable<WeightedRange>): string {
  const parts: string[] = [];
  for (const e of entries) parts.push(`${e.cidr} ${e.weight}`);
  return parts.join('\n');
}

/** Encode merged columns without an object or a lasting string per range. */
export function encodeMerged(m: Pick<MergedWeighted, 'count' | 'weights' | 'cidrBatches'>): EncodedRanges {
  const parts: string[] = [];
  let i = 0;
  for (const lines of m.cidrBatches()) {
    for (let k = 0; k < lines.length; k++) lines[k] = `${lines[k] ?? ''} ${m.weights[i++] ?? -Infinity}`;
    parts.push(lines.join('\n'));
  }
  return { text: parts.join('\n'), count: m.count };
}

/** Call `visit` for each range of an encoded text, in order; returns how many there were. */
export function forEachRange(text: string | null | undefined, visit: (cidr: string, weight: number) => void): number {
  if (!text) return 0;
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const space = text.indexOf(' ', start);
    if (space !== -1 && space < end) {
      visit(text.slice(start, space), Number(text.slice(space + 1, end)));
      n += 1;
    } else if (end > start) {
      visit(text.slice(start, end), 0);
      n += 1;
    }
    start = end + 1;
  }
  return n;
}

export function decodeRanges(text: string | null | undefined): WeightedRange[] {
  const out: WeightedRange[] = [];
  forEachRange(text, (cidr, weight) => out.push({ cidr, weight }));
  return out;
}
