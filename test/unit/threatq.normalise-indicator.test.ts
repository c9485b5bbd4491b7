import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needsLookup, normaliseIndicator, normaliseScore, parseThreatQTime } from '../../src/threatq/normalise-indicator.ts';

const noNames = { types: new Map<number, string>(), statuses: new Map<number, string>() };

describe('parseThreatQTime', () => {
  it('reads ThreatQ\'s own format field by field, the same as the general path', () => {
    expect(parseThreatQTime('2024-02-29 23:59:59')).toBe('2024-02-29T23:59:59.000Z');
    expect(parseThreatQTime('1999-12-31 00:00:00')).toBe('1999-12-31T00:00:00.000Z');
    // Out-of-range fields and impossible dates leave the fast path; the general path decides.
    expect(parseThreatQTime('2024-13-01 00:00:00')).toBeNull();
    expect(parseThreatQTime('2024-05-01 24:00:00')).toBe(new Date(Date.parse('2024-05-01T24:00:00Z')).toISOString());
    expect(parseThreatQTime('2023-02-29 00:00:00')).toBe(new Date(Date.parse('2023-02-29T00:00:00Z')).toISOString());
    expect(parseThreatQTime('2024-05-0a 10:00:00')).toBeNull();
  });
  it('reads any "YYYY-MM-DD HH:MM:SS", valid or not, as Date.parse of its ISO form, in any order (the last valid day is cached)', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const four = (n: number) => String(n).padStart(4, '0');
    const text = fc
      .tuple(fc.oneof(fc.constantFrom(2023, 2024), fc.constantFrom(0, 4, 99, 100, 1900, 2000, 2100, 2400), fc.integer({ min: 0, max: 2999 })), fc.oneof(fc.constantFrom(2, 4), fc.nat({ max: 13 })), fc.oneof(fc.constantFrom(1, 29, 30, 31), fc.nat({ max: 32 })), fc.nat({ max: 25 }), fc.nat({ max: 60 }), fc.nat({ max: 60 }))
      .map(([y, mo, d, h, mi, s]) => `${four(y)}-${two(mo)}-${two(d)} ${two(h)}:${two(mi)}:${two(s)}`);
    const byDate = (t: string): string | null => {
      const ms = Date.parse(`${t.slice(0, 10)}T${t.slice(11)}Z`);
      return Number.isNaN(ms) ? null : new Date(ms).toISOString();
    };
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 12 }), (times) => {
        for (const t of times) expect(parseThreatQTime(t)).toBe(byDate(t));
      }),
      {
        numRuns: 3000,
        // Same day and month a century apart, the first valid and the second not: a cache keyed
        // without the century would take the second for the first.
        examples: [[['2000-02-29 00:00:00', '1900-02-29 00:00:00', '2400-02-29 12:00:00', '2100-02-29 12:00:00', '0000-02-29 00:00:00']]],
      },
    );
  });

  it('reads ThreatQ "YYYY-MM-DD HH:MM:SS" as UTC', () => {
    expect(parseThreatQTime('2024-05-01 10:00:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(parseThreatQTime('2024-05-01T10:00:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(parseThreatQTime('2024-05-01 10:00:00.250')).toBe('2024-05-01T10:00:00.250Z');
  });
  it('honours an explicit zone and rejects junk', () => {
    expect(parseThreatQTime('2024-05-01T12:00:00+02:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(parseThreatQTime('yesterday')).toBeNull();
    expect(parseThreatQTime('')).toBeNull();
    expect(parseThreatQTime(null)).toBeNull();
    expect(parseThreatQTime(1714557600)).toBeNull();
  });
});

describe('normaliseScore', () => {
  it('keeps numbers and numeric strings', () => {
    expect(normaliseScore(7)).toBe(7);
    expect(normaliseScore('4.00')).toBe(4);
    expect(normaliseScore(0)).toBe(0);
  });
  it('uses manual_score when set, else generated_score', () => {
    expect(normaliseScore({ generated_score: '3.00', manual_score: null })).toBe(3);
    expect(normaliseScore({ generated_score: 3, manual_score: 9 })).toBe(9);
    expect(normaliseScore({ generated_score: null, manual_score: null })).toBeNull();
  });
  it('gives null for anything else', () => {
    expect(normaliseScore(undefined)).toBeNull();
    expect(normaliseScore('high')).toBeNull();
    expect(normaliseScore([5])).toBeNull();
    expect(normaliseScore(Number.NaN)).toBeNull();
  });
});

describe('normaliseIndicator', () => {
  it('takes names from embedded objects', () => {
    const r = normaliseIndicator(
      { id: 101, value: '203.0.113.10', type_id: 15, type: { id: 15, name: 'IP Address' }, status_id: 1, status: { id: 1, name: 'Active' }, score: 7, updated_at: '2024-05-01 09:00:00', created_at: '2024-04-02 08:00:00' },
      noNames,
    );
    expect(r).toEqual({
      ok: true,
      indicator: { id: '101', value: '203.0.113.10', typeName: 'IP Address', typeId: 15, statusName: 'Active', statusId: 1, score: 7, updatedAt: '2024-05-01T09:00:00.000Z', createdAt: '2024-04-02T08:00:00.000Z' },
    });
  });
  it('resolves ids through the instance maps when only ids are present', () => {
    const names = { types: new Map([[63, 'CIDR Block']]), statuses: new Map([[49, 'Expired']]) };
    const raw = { id: '7', value: '198.51.100.0/24', type_id: 63, status_id: 49 };
    expect(needsLookup(raw)).toEqual({ types: true, statuses: true });
    const r = normaliseIndicator(raw, names);
    expect(r.ok && r.indicator.typeName).toBe('CIDR Block');
    expect(r.ok && r.indicator.statusName).toBe('Expired');
    const unknown = normaliseIndicator({ ...raw, type_id: 64 }, names);
    expect(unknown.ok && unknown.indicator.typeName).toBeUndefined();
    expect(unknown.ok && unknown.indicator.typeId).toBe(64);
  });
  it('accepts plain string type and status names', () => {
    const r = normaliseIndicator({ id: 1, value: '2001:db8::1', type: 'IPv6 Address', status: 'Active' }, noNames);
    expect(r.ok && [r.indicator.typeName, r.indicator.statusName]).toEqual(['IPv6 Address', 'Active']);
  });
  it('keeps the value untrimmed for the range engine', () => {
    const r = normaliseIndicator({ id: 1, value: ' 198.51.100.7 ', type: 'IP Address', status: 'Active' }, noNames);
    expect(r.ok && r.indicator.value).toBe(' 198.51.100.7 ');
  });
  it('reports objects without id or value as malformed', () => {
    expect(normaliseIndicator({ value: '1.2.3.4' }, noNames)).toEqual({ ok: false, reason: 'malformed:no-id' });
    expect(normaliseIndicator({ id: 1 }, noNames)).toEqual({ ok: false, reason: 'malformed:no-value' });
    // A blank value goes on, to be rejected (and counted) as EMPTY by the range engine.
    expect(normaliseIndicator({ id: 1, value: '  ' }, noNames)).toMatchObject({ ok: true, indicator: { value: '  ' } });
    expect(normaliseIndicator({ id: 1.5, value: 'x' }, noNames)).toEqual({ ok: false, reason: 'malformed:no-id' });
    expect(normaliseIndicator('1.2.3.4', noNames)).toEqual({ ok: false, reason: 'malformed:not-an-object' });
    expect(normaliseIndicator(null, noNames)).toEqual({ ok: false, reason: 'malformed:not-an-object' });
  });
});
