/**
 * The chaos suite's own pause checks can fail: a request inside a pause window, a request sooner
 * than Retry-After after a 429, and a 429 that no pause followed are all reported.
 */
import { describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../src/emulators/graph/graph-emulator.ts';
import { requestsDuringPauses, retryAfterViolations, throttlesWithoutPause, type PauseWindow } from '../helpers/chaos-pause-watch.ts';

const entry = (seq: number, at: number, status = 200): RequestLogEntry => ({ seq, kind: 'graph', method: 'GET', path: '/x', status, time: new Date(at).toISOString(), at });

describe('chaos checks', () => {
  const windows: PauseWindow[] = [{ source: 'block-key', from: 1010, until: 2000 }];

  it('finds a Graph request inside a pause window and none outside', () => {
    const log = [entry(1, 1000, 429), entry(2, 1500), entry(3, 2001)];
    expect(requestsDuringPauses(log, windows).map((v) => v.request.seq)).toEqual([2]);
    expect(requestsDuringPauses([entry(1, 1000, 429), entry(3, 2001)], windows)).toEqual([]);
  });

  it('finds a request sent sooner than Retry-After after a 429', () => {
    expect(retryAfterViolations([entry(1, 1000, 429), entry(2, 1500)], 1000)).toEqual([{ throttledAt: 1000, nextAt: 1500 }]);
    expect(retryAfterViolations([entry(1, 1000, 429), entry(2, 2000)], 1000)).toEqual([]);
  });

  it('finds a 429 that no pause followed', () => {
    expect(throttlesWithoutPause([entry(1, 1000, 429)], windows)).toEqual([]);
    expect(throttlesWithoutPause([entry(1, 5000, 429), entry(2, 5100)], windows)).toEqual([1]);
    // No window seen, but the next request waited at least the shortest backoff: not a violation.
    expect(throttlesWithoutPause([entry(1, 5000, 429), entry(2, 5300)], windows)).toEqual([]);
  });
});
