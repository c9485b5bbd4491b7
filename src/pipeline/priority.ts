/**
 * Priority of a range when a target holds more than maxLocations × maxRangesPerLocation ranges:
 * higher indicator score first, then the most recently updated. Folded into one number so it can
 * travel with a range through merges (a merged range takes the highest weight it covers):
 *   weight = score × 10^13 + updatedAt (epoch ms)
 * Scores are 0–10 (null counts as 0) and epoch milliseconds stay below 10^13 until the year 2286, so
 * the weight stays an exact integer (< 2^53).
 */
const SCORE_STEP = 1e13;

export function priorityWeight(score: number | null, updatedAt: string | null): number {
  const s = score === null || !Number.isFinite(score) ? 0 : Math.max(0, Math.min(10, Math.round(score)));
  const t = updatedAt === null ? 0 : Date.parse(updatedAt);
  return s * SCORE_STEP + (Number.isFinite(t) && t > 0 ? Math.min(t, SCORE_STEP - 1) : 0);
}

export function weightScore(weight: number): number {
  return Math.floor(weight / SCORE_STEP);
}
