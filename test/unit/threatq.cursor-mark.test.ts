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
});
