/**
 * Completeness of a data-collection read (issue 13, finding 1): when may paging stop, and when is what
 * arrived the whole collection? Pure functions; ThreatQClient.collectionPages applies them.
 *
 * ThreatQ answers every collection page with `total`, the size of the whole collection. A page that
 * ends the read early, that is:
 *   - `data` empty, `null` or not an array (`{}`) while fewer indicators than `total` have arrived, or
 *   - data but no usable `nextCursorMark` (missing, empty, or the cursor sent) while the indicators
 *     received with this page are still fewer than `total`,
 * is not the end: it is requested again (same cursor, bounded attempts with backoff). If it still ends
 * the read, paging stops and the read is judged as a whole.
 *
 * The reference is the **largest** `total` announced during the read, not the last one: a server that
 * truncates and lowers its `total` to match (a "shrinking total") must not look complete. A collection
 * that really shrinks by more than the tolerance while it is paged fails the run too, which is safe:
 * the job is retried and the next read sees consistent numbers.
 *
 * Tolerance: a read is complete when `received >= total - tolerance(total)`, with
 *     tolerance(total) = min( max(5, floor(1% of total)), floor(10% of total) ).
 * Why any tolerance: a collection is a saved search, and it changes while it is paged. An indicator
 * updated during the scan moves behind the cursor and comes again (counted twice), but one that enters
 * the collection without a new `updated_at` (a tag or attribute added, a status changed in bulk) lands
 * before the cursor: `total` counts it, this read never sees it, the next one will. Such a shortfall
 * grows with the churn during the read, so a small absolute allowance (5) covers small collections and
 * 1% covers large ones. The 10% cap keeps tiny collections strict: below 50 indicators the allowance
 * shrinks, and under 10 any missing indicator fails the read (an empty first page of a collection of 8
 * is never "within tolerance"). A shortfall beyond it is a truncation: the read fails with
 * ERR_THREATQ_INCOMPLETE and the last committed snapshot stays. Page-level truncation is caught before
 * the tolerance applies (an empty page or a missing cursor is re-requested whenever anything at all is
 * missing), so the tolerance only forgives what re-requests could not bring back.
 * Duplicates (indicators updated during the scan) are counted as received: counting distinct ids would
 * make memory grow with the collection. They can hide at most as many missing indicators as there were
 * updates during the read.
 */

/** Fraction of `total` that may be missing at the end of a read. */
export const SHORTFALL_FRACTION = 0.01;
/** Indicators that may be missing whatever the size (subject to SHORTFALL_CAP_FRACTION). */
export const SHORTFALL_MIN = 5;
/** Never more than this fraction of `total` may be missing. */
export const SHORTFALL_CAP_FRACTION = 0.1;

/** How many of `total` indicators may be missing at the end of a read. */
export function shortfallTolerance(total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(Math.max(SHORTFALL_MIN, Math.floor(total * SHORTFALL_FRACTION)), Math.floor(total * SHORTFALL_CAP_FRACTION));
}

/** Is `received` the whole collection of `total` (undefined: ThreatQ gave no total, nothing to judge)? */
export function isCompleteRead(received: number, total: number | undefined): boolean {
  return total === undefined || received >= total - shortfallTolerance(total);
}

/** What a collection page says, read defensively. */
export interface PageView {
  /** The objects of `data` (empty when `data` is empty, null, missing or not an array). */
  data: unknown[];
  /** `total` when it is a non-negative number. */
  total: number | undefined;
  /** The cursor to continue with: a non-empty string different from the one sent, else undefined. */
  next: string | undefined;
  /** How `data` looked when it held nothing: `[]`, `null`, `{}`-like, or missing. */
  emptyShape: 'data: []' | 'data: null' | 'data not an array' | 'no data' | undefined;
}

export function viewPage(body: { total?: unknown; nextCursorMark?: unknown; data?: unknown }, cursorSent: string): PageView {
  const data = Array.isArray(body.data) ? (body.data as unknown[]) : [];
  const total = typeof body.total === 'number' && Number.isFinite(body.total) && body.total >= 0 ? body.total : undefined;
  const next = typeof body.nextCursorMark === 'string' && body.nextCursorMark !== '' && body.nextCursorMark !== cursorSent ? body.nextCursorMark : undefined;
  let emptyShape: PageView['emptyShape'];
  if (data.length === 0) {
    emptyShape = !('data' in body) || body.data === undefined ? 'no data' : body.data === null ? 'data: null' : Array.isArray(body.data) ? 'data: []' : 'data not an array';
  }
  return { data, total, next, emptyShape };
}

/**
 * Why this page would end the read while `total` (the largest announced so far) says more remain, or
 * undefined when it is fine to go on or to stop here. `received` counts the indicators of the pages
 * before this one.
 */
export function earlyEnd(page: PageView, received: number, total: number | undefined): string | undefined {
  if (total === undefined) return undefined;
  if (page.data.length === 0) return received < total ? `an empty page (${page.emptyShape ?? 'no data'})` : undefined;
  if (page.next === undefined && received + page.data.length < total) return 'a page without a next cursor';
  return undefined;
}
