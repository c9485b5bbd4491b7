/** The progress reporter in both modes, on fake streams with a fake clock. */
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from '../../src/cli/progress.ts';

function fakeStream(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { isTTY, columns, chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgress on a TTY', () => {
  it('redraws one line in place with a bar, percentage, counts, rate and ETA', () => {
    const s = fakeStream(true, 100);
    const c = clock();
    const p = createProgress({ label: 'merging', total: 10_000, unit: 'lines', stream: s, now: c.now });
    c.advance(2000);
    p.update(3000);
    expect(s.chunks).toHaveLength(1);
    const line = s.chunks[0] ?? '';
    expect(line.startsWith('\rmerging [')).toBe(true);
    expect(line.endsWith('\x1b[K')).toBe(true);
    expect(line).not.toContain('\n');
    expect(line).toContain(' 30% 3,000/10,000 lines');
    expect(line).toContain('1,500/s');
    expect(line).toContain('ETA 4.7s');
    const bar = /\[(█*)(░*)\]/.exec(line);
    expect(bar?.[1]?.length).toBe(Math.round(((bar?.[1]?.length ?? 0) + (bar?.[2]?.length ?? 0)) * 0.3));
  });

  it('redraws at most every redrawMs, and done() leaves the final line with a newline', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress({ label: 'plan', total: 100, stream: s, now: c.now, redrawMs: 100 });
    p.update(1);
    p.update(2);
    c.advance(50);
    p.update(3);
    expect(s.chunks).toHaveLength(1);
    c.advance(60);
    p.update(4);
    expect(s.chunks).toHaveLength(2);
    p.update(100);
    p.done('summary line');
    const last = s.chunks.at(-2) ?? '';
    expect(last.startsWith('\rplan [')).toBe(true);
    expect(last).toContain('] 100% 100/100 items ');
    expect(last.endsWith('\x1b[K\n')).toBe(true);
    expect(s.chunks.at(-1)).toBe('summary line\n');
    const n = s.chunks.length;
    p.update(5);
    p.done();
    expect(s.chunks).toHaveLength(n);
  });

  it('never wraps: the line is cut to the terminal width', () => {
    const s = fakeStream(true, 40);
    const p = createProgress({ label: 'a very long label for a narrow terminal', total: 10, stream: s, now: clock().now });
    p.update(5);
    const visible = (s.chunks[0] ?? '').replace('\r', '').replace('\x1b[K', '');
    expect(visible.length).toBeLessThanOrEqual(39);
  });

  it('log() prints above the bar and redraws it', () => {
    const s = fakeStream(true);
    const p = createProgress({ label: 'sync', total: 10, stream: s, now: clock().now });
    p.update(5);
    p.log('warning: something');
    expect(s.chunks[1]).toBe('\r\x1b[Kwarning: something\n');
    expect(s.chunks[2]).toMatch(/^\rsync \[/);
  });
});

describe('createProgress on a pipe', () => {
  it('writes plain lines at most once per interval and always one at the end', () => {
    const s = fakeStream(false);
    const c = clock();
    const p = createProgress({ label: 'merging', total: 10_000, unit: 'lines', stream: s, now: c.now, intervalMs: 1000 });
    for (let i = 1; i <= 30; i++) {
      c.advance(100);
      p.update(i * 100);
    }
    // 3 s of updates every 100 ms: one line per second.
    expect(s.chunks).toEqual([
      'merging: 1,000/10,000 lines (10%) · 1,000/s · ETA 9.0s\n',
      'merging: 2,000/10,000 lines (20%) · 1,000/s · ETA 8.0s\n',
      'merging: 3,000/10,000 lines (30%) · 1,000/s · ETA 7.0s\n',
    ]);
    c.advance(300);
    p.update(10_000);
    p.done();
    expect(s.chunks.at(-1)).toBe('merging: done: 10,000 lines in 3.3s (3,030/s)\n');
    expect(s.text()).not.toContain('\r');
    expect(s.text()).not.toContain('\x1b');
  });

  it('a run that did not succeed ends with "failed", not "done"', () => {
    const s = fakeStream(false);
    const c = clock();
    const p = createProgress({ label: 'collect', total: 2000, unit: 'indicators', stream: s, now: c.now });
    c.advance(2000);
    p.update(1400);
    p.done(undefined, { failed: true });
    expect(s.chunks.at(-1)).toBe('collect: failed: 1,400 indicators in 2.0s (700/s)\n');
  });

  it('without a total shows the count and rate only', () => {
    const s = fakeStream(false);
    const c = clock();
    const p = createProgress({ label: 'reading', unit: 'indicators', stream: s, now: c.now });
    c.advance(1000);
    p.increment(250);
    p.increment(250);
    expect(s.chunks).toEqual(['reading: 250 indicators · 250/s\n']);
    expect(p.current).toBe(500);
  });

  it('log() writes a plain line', () => {
    const s = fakeStream(false);
    const p = createProgress({ label: 'x', stream: s, now: clock().now });
    p.log('hello');
    expect(s.chunks).toEqual(['hello\n']);
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
    expect(formatDuration(Infinity)).toBe('?');
  });
});
