/**
 * renderRangeChart (pure): the ranges a target held over time as an inline SVG line chart, rendered on
 * the server (no script). Points are sorted by time; x is time (first to last point), y runs from 0 to
 * the larger of the highest point and the capacity line (when given), so the capacity is always in
 * view. Up to MAX_DOTS points each carries a dot with a <title> (time and count) for a hover tooltip;
 * a longer history is drawn as the line only, thinned to the lowest and highest point of each pixel
 * column (spikes stay visible, the SVG stays small). The axes are labelled with the first and last time
 * and with 0 and the top of the scale. No points: a "no data" box.
 */
import { html, type SafeHtml } from './html.ts';

export interface RangePoint {
  /** Epoch milliseconds. */
  at: number;
  ranges: number;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  /** The target's capacity (maxLocations × maxRangesPerLocation), drawn as a dashed line. */
  capacity?: number;
}

const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
/** Above this many points no dots are drawn. */
export const MAX_DOTS = 200;

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

interface Scale {
  x(at: number): number;
  y(ranges: number): number;
  top: number;
}

function scaleOf(points: readonly RangePoint[], width: number, height: number, capacity: number | undefined): Scale {
  const first = points[0]?.at ?? 0;
  const last = points[points.length - 1]?.at ?? first;
  const top = points.reduce((m, p) => Math.max(m, p.ranges), Math.max(1, capacity ?? 0));
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  return {
    x: (at) => PAD.left + (last === first ? plotW / 2 : ((at - first) / (last - first)) * plotW),
    y: (ranges) => PAD.top + plotH - (ranges / top) * plotH,
    top,
  };
}

function axes(points: readonly RangePoint[], s: Scale, width: number, height: number): SafeHtml {
  const bottom = height - PAD.bottom;
  const first = points[0];
  const last = points[points.length - 1];
  return html`<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="#555"/>
<line class="axis" x1="${PAD.left}" y1="${bottom}" x2="${width - PAD.right}" y2="${bottom}" stroke="#555"/>
<text x="${PAD.left - 4}" y="${s.y(0)}" text-anchor="end" font-size="11">0</text>
<text x="${PAD.left - 4}" y="${s.y(s.top) + 10}" text-anchor="end" font-size="11">${fmt(s.top)}</text>
<text x="${PAD.left}" y="${height - 8}" font-size="11">${first ? isoMinute(first.at) : ''}</text>
<text x="${width - PAD.right}" y="${height - 8}" text-anchor="end" font-size="11">${last && last !== first ? isoMinute(last.at) : ''}</text>`;
}

function capacityLine(capacity: number | undefined, s: Scale, width: number): SafeHtml | undefined {
  if (capacity === undefined) return undefined;
  const y = s.y(capacity);
  return html`<line class="capacity" x1="${PAD.left}" y1="${y}" x2="${width - PAD.right}" y2="${y}" stroke="#c33" stroke-dasharray="4 3"/>
<text x="${width - PAD.right}" y="${y - 3}" text-anchor="end" font-size="11" fill="#c33">capacity ${capacity}</text>`;
}

/** At most the lowest and highest point of each pixel column, in time order. */
function thin(points: readonly RangePoint[], s: Scale): readonly RangePoint[] {
  if (points.length <= MAX_DOTS) return points;
  const out: RangePoint[] = [];
  let column = Number.NaN;
  let lo: RangePoint | undefined;
  let hi: RangePoint | undefined;
  const flush = () => {
    if (lo && hi) out.push(...(lo === hi ? [lo] : lo.at <= hi.at ? [lo, hi] : [hi, lo]));
  };
  for (const p of points) {
    const c = Math.round(s.x(p.at));
    if (c !== column) {
      flush();
      column = c;
      lo = p;
      hi = p;
    } else {
      if (lo && p.ranges < lo.ranges) lo = p;
      if (hi && p.ranges > hi.ranges) hi = p;
    }
  }
  flush();
  return out;
}

export function renderRangeChart(input: readonly RangePoint[], options: ChartOptions = {}): SafeHtml {
  const width = options.width ?? 640;
  const height = options.height ?? 200;
  const label = 'ranges over time';
  const points = input.filter((p) => Number.isFinite(p.at) && Number.isFinite(p.ranges)).sort((a, b) => a.at - b.at);
  if (points.length === 0) {
    return html`<svg xmlns="http://www.w3.org/2000/svg" class="range-chart" role="img" aria-label="${label}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="none" stroke="#999"/><text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text></svg>`;
  }
  const s = scaleOf(points, width, height, options.capacity);
  const coords = thin(points, s)
    .map((p) => `${s.x(p.at).toFixed(1)},${s.y(p.ranges).toFixed(1)}`)
    .join(' ');
  const dots = (points.length > MAX_DOTS ? [] : points).map(
    (p) => html`<circle cx="${s.x(p.at).toFixed(1)}" cy="${s.y(p.ranges).toFixed(1)}" r="3" fill="#1f5fa8"><title>${isoMinute(p.at)}: ${p.ranges} ranges</title></circle>`,
  );
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="range-chart" role="img" aria-label="${label}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${axes(points, s, width, height)}
${capacityLine(options.capacity, s, width)}
<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="${coords}"/>
${dots}
</svg>`;
}
