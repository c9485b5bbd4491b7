/**
 * The per-collection thresholds `minScore` and `maxAge` (config: collections[].minScore / maxAge), as
 * one pure predicate the ThreatQ source applies after its type/status filter. It answers the reason an
 * indicator is filtered out, or undefined when it is kept; a drop is counted in the page's `filtered`
 * (never an error):
 *   score:below-<N>          effective score (0-10, manual over generated) below minScore N (as configured)
 *   score:none               minScore is set and the indicator has no score
 *   age:older-than-<D>       updated_at more than maxAge before `now` (the run's start); D is maxAge in its
 *                            largest exact unit (90d, 36h), as config/example.yaml writes it
 *   age:unknown              maxAge is set and the indicator has no (parseable) updated_at
 * Score is checked first, so an indicator failing both is counted once, under score. Exactly at the
 * bound is kept: score == minScore, updated_at == now − maxAge.
 */
import { shortDuration } from '../config/schema.ts';

export interface Thresholds {
  minScore?: number | undefined;
  /** Milliseconds. */
  maxAge?: number | undefined;
}

export interface ThresholdSubject {
  score: number | null;
  /** ISO-8601 time or null. */
  updatedAt: string | null;
}

/** The reason `subject` is filtered out, or undefined when it passes. */
export type ThresholdFilter = (subject: ThresholdSubject) => string | undefined;

/** A filter for the thresholds as of `now` (epoch ms); undefined when no threshold is configured. */
export function thresholdFilter(thresholds: Thresholds, now: number): ThresholdFilter | undefined {
  const { minScore, maxAge } = thresholds;
  if (minScore === undefined && maxAge === undefined) return undefined;
  const below = minScore === undefined ? '' : `score:below-${String(minScore)}`;
  const cutoff = maxAge === undefined ? 0 : now - maxAge;
  const older = maxAge === undefined ? '' : `age:older-than-${shortDuration(maxAge)}`;
  return (s) => {
    if (minScore !== undefined) {
      if (s.score === null || !Number.isFinite(s.score)) return 'score:none';
      if (s.score < minScore) return below;
    }
    if (maxAge !== undefined) {
      const t = s.updatedAt === null ? Number.NaN : Date.parse(s.updatedAt);
      if (Number.isNaN(t)) return 'age:unknown';
      if (t < cutoff) return older;
    }
    return undefined;
  };
}
