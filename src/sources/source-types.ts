/**
 * What every source kind (ThreatQ collection, file) hands downstream. The pipeline reads a source
 * collection through `IndicatorSource.pages()` and does not care which kind it is.
 *
 * Terminology: a *source* is one configured entry of `sources[]` (a ThreatQ instance or a file); a
 * *source collection* is one ThreatQ data collection of a source (a file source has exactly one, whose
 * id is the file path). Snapshots are kept per source collection.
 */
import type { IndicatorType } from '../ranges/index.ts';

export interface SourceIndicator {
  /** The raw indicator value as the source gave it (untrimmed; the range engine canonicalises). */
  value: string;
  /** ThreatQ type name when known; undefined for file lines (inferred from the value downstream). */
  type: IndicatorType | undefined;
  /** ThreatQ status name, when known. */
  status: string | undefined;
  /** Effective score (0-10) or null when the source has none. */
  score: number | null;
  /** Last update, ISO-8601 UTC (`2024-05-01T10:00:00.000Z`), or null. */
  updatedAt: string | null;
  /** Creation in ThreatQ (first seen), ISO-8601 UTC, or null/absent when the source has none. */
  createdAt?: string | null;
  /** Stable id within the source collection: the ThreatQ indicator id, or `line:N` for files. */
  id: string;
  /** Name of the configured source (sources[].name). */
  source: string;
  /** Collection id (ThreatQ data collection hash; the path for a file source). */
  collection: string;
}

export interface SourcePage {
  /** 1-based page number. */
  page: number;
  /** Indicators that passed the type/status filter, in source order. */
  indicators: SourceIndicator[];
  /** Objects the source returned on this page (kept + filtered out + whitelist entries). */
  seen: number;
  /**
   * Objects dropped on this page, by reason: type/status filter (`type:FQDN`, `status:Expired`) and
   * thresholds (`score:below-6`, `score:none`, `age:older-than-90d`, `age:unknown`).
   */
  filtered: Record<string, number>;
  /**
   * Values of this page's whitelist entries (ThreatQ: IP indicators of a whitelist status, when the
   * source honours ThreatQ's whitelist): never blocked by any target the source feeds. Absent: none.
   */
  whitelist?: string[];
  /** Size of the whole collection when the source knows it (ThreatQ `total`). */
  total: number | undefined;
}

/** One page of a source's separate whitelist collection (ThreatQ `whitelistCollection`). */
export interface WhitelistPage {
  collection: string;
  page: number;
  /** Objects the collection returned on this page (whitelist entries and everything else). */
  seen: number;
  /** Values of the whitelist entries. */
  values: string[];
}

export interface IndicatorSource {
  readonly source: string;
  readonly collection: string;
  /**
   * Stream the collection page by page. Memory stays constant whatever the collection size. Throws a
   * SyncError subclass on failure (the run is then abandoned and the last good snapshot kept).
   */
  pages(signal?: AbortSignal): AsyncIterable<SourcePage>;
  /**
   * The entries of a separate whitelist collection, read after `pages()` in the same run (a source
   * without one yields nothing). Fails like `pages()`; a run commits neither when either fails.
   */
  whitelistPages?(signal?: AbortSignal): AsyncIterable<WhitelistPage>;
}
