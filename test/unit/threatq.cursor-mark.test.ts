import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, formatTime, parseSort, parseTime } from '../../src/emulators/threatq/cursor-mark.ts';

describe('emulator cursor marks', () => {
  it('encodes [sortValue, id] as base64url JSON, as the reference example shows', () => {
    const keys = parseSort('updated_at');
    expect(keys).toEqual([{ field: 'updated_at', desc: false }]);
    const t = parseTime('2024-05-01 10:00:00') ?? 0;
    const c = encodeCursor(keys ?? [], [t], 102);
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toEqual(['2024-05-01 10:00:00', 102]);
    expect(decodeCursor(keys ?? [], c)).toEqual({ values: [t], id: 102 });
  });
  it('handles comma sort lists and drops a trailing id key', () => {
    const keys = parseSort('-updated_at,created_at,id') ?? [];
    expect(keys.map((k) => `${k.desc ? '-' : ''}${k.field}`)).toEqual(['-updated_at', 'created_at']);
    const c = encodeCursor(keys, [100, 50], 7);
    expect(decodeCursor(keys, c)).toEqual({ values: [100, 50], id: 7 });
    expect(parseSort('score')).toBeUndefined();
  });
  it('rejects foreign or mismatched cursors', () => {
    const keys = parseSort('updated_at') ?? [];
    expect(decodeCursor(keys, 'AoJ9z5LKnvwCJjEwNjk2Nw==')).toBeUndefined();
    expect(decodeCursor(keys, encodeCursor(parseSort('id') ?? [], [5], 5))).toBeUndefined();
    expect(decodeCursor(keys, 'not base64 at all')).toBeUndefined();
  });
  it('formats times as ThreatQ does', () => {
    expect(formatTime(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000)).toBe('2024-01-02 03:04:05');
    expect(parseTime('2024-13-40 00:00:00')).toBeUndefined();
  });
  it('formats any time exactly as Date does, whichever day it saw last (the day is cached)', () => {
    const byDate = (s: number): string => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const seconds = fc.oneof(
      fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }),
      fc.double({ min: -1e11, max: 3e11, noNaN: true }),
      fc.integer({ min: 1_700_000_000, max: 1_700_300_000 }),
      fc.constantFrom(-1, -0.5, 0, 86_399.999, 86_400, -62_135_596_800, -62_135_596_801, 253_402_300_800),
    );
    fc.assert(
      fc.property(fc.array(seconds, { minLength: 1, maxLength: 8 }), (times) => {
        for (const s of times) expect(formatTime(s)).toBe(byDate(s));
      }),
      { numRuns: 3000 },
    );
    // What Date refuses is still refused, as before.
    expect(() => formatTime(Number.NaN)).toThrow(RangeError);
    expect(() => formatTime(1e300)).toThrow(RangeError);
  });
});
