/**
 * Encoding of a snapshot (or a staged chunk): one range per line, `<cidr> <weight>`, sorted as given.
 * Compact, streamable, and cheap to parse: 1,000,000 ranges are about 25 MB.
 *
 * The weight ranks ranges when a target is over capacity: see priority.ts.
 */
export interface WeightedRange {
  cidr: string;
  weight: number;
}

export function encodeRanges(entries: Iterable<WeightedRange>): string {
  const parts: string[] = [];
  for (const e of entries) parts.push(`${e.cidr} ${e.weight}`);
  return parts.join('\n');
}

export function decodeRanges(text: string | null | undefined): WeightedRange[] {
  if (!text) return [];
  const out: WeightedRange[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const space = text.indexOf(' ', start);
    if (space !== -1 && space < end) {
      out.push({ cidr: text.slice(start, space), weight: Number(text.slice(space + 1, end)) });
    } else if (end > start) {
      out.push({ cidr: text.slice(start, end), weight: 0 });
    }
    start = end + 1;
  }
  return out;
}
