/**
 * renderRangeChart with sample data: a point per sample placed by time and count (x grows with time,
 * y falls as the count rises, 0 on the axis), the capacity line in view, titles per point, points
 * sorted, no data → a "no data" box; untrusted nothing (all numbers) yet the output parses as SVG.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DOTS, renderRangeChart, type RangePoint } from '../../src/dashboard/status/range-chart.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3600_000;

function circles(svg: string): { x: number; y: number; title: string }[] {
  return [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), title: m[3] ?? '' }));
}

describe('renderRangeChart', () => {
  const sample: RangePoint[] = [
    { at: T0 + 2 * HOUR, ranges: 1500 },
    { at: T0, ranges: 0 },
    { at: T0 + HOUR, ranges: 750 },
  ];

  it('places each point by time and count, sorted, with a title', () => {
    const svg = renderRangeChart(sample, { width: 656, height: 240 }).text;
    const dots = circles(svg);
    expect(dots.map((d) => d.title)).toEqual(['2026-11-01 00:00: 0 ranges', '2026-11-01 01:00: 750 ranges', '2026-11-01 02:00: 1500 ranges']);
    // Plot area: x 56..644 (588 wide), y 12..212 (200 high); top of scale = 1500.
    expect(dots.map((d) => d.x)).toEqual([56, 350, 644]);
    expect(dots.map((d) => d.y)).toEqual([212, 112, 12]);
    const line = /<polyline[^>]*points="([^"]+)"/.exec(svg)?.[1];
    expect(line).toBe('56.0,212.0 350.0,112.0 644.0,12.0');
    expect(svg).toContain('>1500</text>');
    expect(svg).toContain('>2026-11-01 00:00</text>');
    expect(svg).toContain('>2026-11-01 02:00</text>');
    expect(svg).not.toContain('capacity');
  });

  it('scales to the capacity when it is above every point and draws it dashed', () => {
    const svg = renderRangeChart(sample, { width: 656, height: 240, capacity: 3000 }).text;
    expect(circles(svg).map((d) => d.y)).toEqual([212, 162, 112]);
    expect(svg).toMatch(/<line class="capacity" x1="56" y1="12" x2="644" y2="12"[^>]*stroke-dasharray/);
    expect(svg).toContain('capacity 3000</text>');
  });

  it('centres a single point and shows "no data" for none (or only non-finite ones)', () => {
    const one = renderRangeChart([{ at: T0, ranges: 10 }], { width: 656, height: 240 }).text;
    expect(circles(one)).toEqual([{ x: 350, y: 12, title: '2026-11-01 00:00: 10 ranges' }]);
    for (const none of [[], [{ at: Number.NaN, ranges: 3 }]]) {
      const svg = renderRangeChart(none).text;
      expect(svg).toContain('>no data</text>');
      expect(svg).not.toContain('<circle');
    }
  });

  it('draws a long history as a line thinned per pixel column, keeping its spikes', () => {
    // 200,000 points (no spread into Math.max arguments), flat at 100 but for one spike of 1999.
    const many = Array.from({ length: 200_000 }, (_, i) => ({ at: T0 + i * 60_000, ranges: i === 123_456 ? 1999 : 100 }));
    const svg = renderRangeChart(many, { width: 656, height: 240 }).text;
    expect(svg).toContain('>1999</text>');
    expect(circles(svg)).toEqual([]);
    const coords = (/<polyline[^>]*points="([^"]+)"/.exec(svg)?.[1] ?? '').split(' ');
    expect(coords.length).toBeLessThanOrEqual(2 * 589);
    expect(coords.length).toBeGreaterThanOrEqual(589);
    expect(coords.filter((c) => c.endsWith(',12.0'))).toHaveLength(1);
    expect(svg.length).toBeLessThan(30_000);
  });

  it('draws dots up to MAX_DOTS points', () => {
    const pts = (n: number) => Array.from({ length: n }, (_, i) => ({ at: T0 + i * HOUR, ranges: i }));
    expect(circles(renderRangeChart(pts(MAX_DOTS)).text)).toHaveLength(MAX_DOTS);
    expect(circles(renderRangeChart(pts(MAX_DOTS + 1)).text)).toHaveLength(0);
  });
});
