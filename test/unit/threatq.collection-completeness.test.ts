/** The completeness rules of a collection read: tolerance, early-end detection, page views. */
import { describe, expect, it } from 'vitest';
import { earlyEnd, isCompleteRead, shortfallTolerance, viewPage } from '../../src/threatq/collection-completeness.ts';
import { ThreatQIncompleteError } from '../../src/threatq/errors/threatq-incomplete-error.ts';

describe('shortfallTolerance: max(5, 1%) of total, never more than 10%', () => {
  it.each([
    [0, 0],
    [1, 0],
    [8, 0],
    [9, 0],
    [10, 1],
    [30, 3],
    [50, 5],
    [100, 5],
    [499, 5],
    [500, 5],
    [999, 9],
    [2000, 20],
    [100_000, 1000],
    [1_000_000, 10_000],
  ])('total %i tolerates %i missing', (total, tolerated) => {
    expect(shortfallTolerance(total)).toBe(tolerated);
  });

  it('never lets a read with nothing in it pass for a non-empty collection', () => {
    for (let total = 1; total <= 5000; total++) expect(isCompleteRead(0, total)).toBe(false);
  });

  it('judges received against total minus the tolerance; no total, nothing to judge', () => {
    expect(isCompleteRead(1980, 2000)).toBe(true);
    expect(isCompleteRead(1979, 2000)).toBe(false);
    expect(isCompleteRead(2100, 2000)).toBe(true); // duplicates of indicators updated during the read
    expect(isCompleteRead(0, 0)).toBe(true);
    expect(isCompleteRead(0, undefined)).toBe(true);
  });
});

describe('viewPage', () => {
  it('reads data, total and the next cursor defensively', () => {
    expect(viewPage({ total: 3, nextCursorMark: 'b', data: [1, 2] }, 'a')).toEqual({ data: [1, 2], total: 3, next: 'b', emptyShape: undefined });
    expect(viewPage({ total: 3, nextCursorMark: 'a', data: [1] }, 'a').next).toBeUndefined();
    expect(viewPage({ total: 3, nextCursorMark: '', data: [1] }, 'a').next).toBeUndefined();
    expect(viewPage({ total: 3, data: [1] }, 'a').next).toBeUndefined();
    expect(viewPage({ total: '3', data: [] }, 'a').total).toBeUndefined();
    expect(viewPage({ total: -1, data: [] }, 'a').total).toBeUndefined();
  });

  it('names the shape of an empty page', () => {
    expect(viewPage({ data: [] }, '*').emptyShape).toBe('data: []');
    expect(viewPage({ data: null }, '*').emptyShape).toBe('data: null');
    expect(viewPage({ data: {} }, '*').emptyShape).toBe('data not an array');
    expect(viewPage({}, '*').emptyShape).toBe('no data');
  });
});

describe('earlyEnd', () => {
  const page = (data: unknown, next: string | undefined, total = 2000) => viewPage({ total, data, ...(next === undefined ? {} : { nextCursorMark: next }) }, 'sent');

  it('flags an empty page while fewer than total have arrived, at any shortfall', () => {
    expect(earlyEnd(page([], 'sent'), 1400, 2000)).toBe('an empty page (data: [])');
    expect(earlyEnd(page(null, 'sent'), 1999, 2000)).toBe('an empty page (data: null)');
    expect(earlyEnd(page([], 'sent'), 2000, 2000)).toBeUndefined();
    expect(earlyEnd(page([], 'sent'), 2005, 2000)).toBeUndefined();
  });

  it('flags a page without a next cursor while the indicators with it are still fewer than total', () => {
    const data = Array.from({ length: 200 }, (_, i) => i);
    expect(earlyEnd(page(data, undefined), 1400, 2000)).toBe('a page without a next cursor');
    expect(earlyEnd(page(data, 'sent'), 1400, 2000)).toBe('a page without a next cursor');
    expect(earlyEnd(page(data, undefined), 1800, 2000)).toBeUndefined();
    expect(earlyEnd(page(data, 'next'), 1400, 2000)).toBeUndefined();
  });

  it('cannot judge without a total (the old behaviour: an empty page ends the read)', () => {
    expect(earlyEnd(viewPage({ data: [] }, '*'), 0, undefined)).toBeUndefined();
  });
});

describe('ThreatQIncompleteError', () => {
  it('is a retryable ERR_THREATQ_INCOMPLETE naming the collection, the counts and the tolerance', () => {
    const err = new ThreatQIncompleteError(
      { instance: 'tq-east', collection: 'abc123', request: 'GET /api/indicators/query/hash/abc123' },
      { received: 1400, total: 2000, lastTotal: 1400, tolerance: 20, page: 8, problem: 'an empty page (data: [])', requests: 4 },
    );
    expect(err).toMatchObject({ code: 'ERR_THREATQ_INCOMPLETE', retryable: true, collection: 'abc123', received: 1400, total: 2000, tolerance: 20 });
    expect(err.message).toMatch(/^collection abc123 on tq-east: incomplete read: received 1400 of the 2000 indicators ThreatQ's total announced \(600 missing, 20 tolerated\)/);
    expect(err.message).toContain('paging ended at page 8 on an empty page (data: []), requested 4 time(s); the total fell from 2000 to 1400 during the read');
    expect(err.message).toContain('last committed snapshot kept');
    expect(err.toJSON()).toMatchObject({ code: 'ERR_THREATQ_INCOMPLETE', instance: 'tq-east', collection: 'abc123', received: 1400, total: 2000, tolerance: 20, page: 8 });
  });
});
