/**
 * Wire shapes of the ThreatQ API as this client reads them (reference threatq-api.md §1d, §2, §3).
 * Everything is optional and loosely typed on purpose: versions differ, and the normaliser checks each
 * field before use.
 */

/** POST /api/token response. `token_type` may come back lower case; we always send `Bearer`. */
export interface ThreatQTokenResponse {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
}

/** `score` on the collection endpoint is a number; with `with=score` it is this object. */
export interface ThreatQScoreObject {
  generated_score?: unknown;
  manual_score?: unknown;
}

/** One element of `data[]` from GET /api/indicators/query/hash/{id}. */
export interface ThreatQRawIndicator {
  id?: unknown;
  value?: unknown;
  type_id?: unknown;
  type?: unknown;
  status_id?: unknown;
  status?: unknown;
  score?: unknown;
  updated_at?: unknown;
  created_at?: unknown;
  [key: string]: unknown;
}

/** A collection page: `data` may be `{}` on the exhausted page (seen in Elastic's mock). */
export interface ThreatQCollectionPage {
  total?: unknown;
  limit?: unknown;
  nextCursorMark?: unknown;
  data?: unknown;
}

/** GET /api/indicator/types and /api/indicator/statuses. */
export interface ThreatQLookupPage {
  total?: unknown;
  data?: unknown;
}

/** Id → name maps of one instance (ids differ between instances; names do not). */
export interface ThreatQNameMaps {
  types: ReadonlyMap<number, string>;
  statuses: ReadonlyMap<number, string>;
}
