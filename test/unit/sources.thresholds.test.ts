/** The per-collection thresholds minScore and maxAge: the reason each drop is counted under. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thresholdFilter } from '../../src/sources/thresholds.ts';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('thresholdFilter', () => {
  it('is undefined when the collection has no threshold (nothing to evaluate per indicator)', () => {
    expect(thresholdFilter({}, NOW)).toBeUndefined();
  });

  it('names each reason: score below the configured N, no score, older than the configured age, unknown age', () => {
    const f = thresholdFilter({ minScore: 6, maxAge: 90 * DAY }, NOW);
    expect(f?.({ score: 5.9, updatedAt: iso(NOW) })).toBe('score:below-6');
    expect(f?.({ score: null, updatedAt: iso(NOW) })).toBe('score:none');
    expect(f?.({ score: 8, updatedAt: iso(NOW - 91 * DAY) })).toBe('age:older-than-90d');
    expect(f?.({ score: 8, updatedAt: null })).toBe('age:unknown');
    expect(f?.({ score: 8, updatedAt: 'not a time' })).toBe('age:unknown');
    expect(f?.({ score: 6, updatedAt: iso(NOW - 90 * DAY) })).toBeUndefined();
    // both fail: counted once, under score
    expect(f?.({ score: 1, updatedAt: null })).toBe('score:below-6');
  });

  it('writes the bound as configured: a fractional score, hours', () => {
    expect(thresholdFilter({ minScore: 6.5 }, NOW)?.({ score: 6, updatedAt: null })).toBe('score:below-6.5');
    expect(thresholdFilter({ maxAge: 36 * 3_600_000 }, NOW)?.({ score: null, updatedAt: iso(NOW - 37 * 3_600_000) })).toBe('age:older-than-36h');
  });

  it('a threshold that is not set never drops: no score passes without minScore, no time without maxAge', () => {
    expect(thresholdFilter({ maxAge: DAY }, NOW)?.({ score: null, updatedAt: iso(NOW) })).toBeUndefined();
    expect(thresholdFilter({ minScore: 0 }, NOW)?.({ score: 0, updatedAt: null })).toBeUndefined();
  });

  it('keeps exactly the indicators at or above minScore and updated within maxAge (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 100 }).map((n) => n / 10), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 3660 * 24 }).map((h) => h * 3_600_000), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 100 }).map((n) => n / 10), { nil: null }),
        fc.option(fc.integer({ min: -5000 * DAY, max: DAY }).map((d) => iso(NOW + d)), { nil: null }),
        (minScore, maxAge, score, updatedAt) => {
          const f = thresholdFilter({ minScore, maxAge }, NOW);
          const reason = f?.({ score, updatedAt });
          const scoreOk = minScore === undefined || (score !== null && score >= minScore);
          const ageOk = maxAge === undefined || (updatedAt !== null && Date.parse(updatedAt) >= NOW - maxAge);
          expect(reason === undefined).toBe(scoreOk && ageOk);
          if (!scoreOk) expect(reason).toBe(score === null ? 'score:none' : `score:below-${String(minScore)}`);
          else if (!ageOk) expect(reason).toMatch(updatedAt === null ? /^age:unknown$/ : /^age:older-than-\d+[dhm]$/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
