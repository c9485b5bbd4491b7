/**
 * The mutable state shared by the ThreatQ emulator's route handlers: data store, tokens, behaviour
 * switches, injected faults and the request log. Emulator-only.
 */
import type { AnnotationStore } from './annotation-store.ts';
import type { EmulatorStore } from './emulator-store.ts';
import type { EmulatorTokens } from './emulator-tokens.ts';
import type { ThreatQSeed } from './emulator-seed.ts';
import type { RandomFaults } from '../random-faults.ts';

/** Behaviour switches (all settable at start and through POST /__emulator/config). */
export interface EmulatorBehaviour {
  /** Access token lifetime in seconds (expires_in). Default 3600. */
  tokenTtlSeconds: number;
  /** Answer `token_type: "bearer"` (lower case, as some versions/mocks do). Default false. */
  lowercaseTokenType: boolean;
  /** Return `"data": {}` instead of `[]` on the exhausted page (Elastic's mock). Default false. */
  emptyPageDataAsObject: boolean;
  /** Indicators carry only `type_id` / `status_id`, no embedded type/status objects. Default false. */
  idsOnly: boolean;
  /** `score` as the object form `{generated_score, manual_score, …}` instead of a number. Default false. */
  scoreAsObject: boolean;
}

/**
 * How a page fault damages a collection page (always HTTP 200, as the probe of issue 13 saw):
 * - `emptyArray`      `"data": []`, `total` still counting every indicator, the cursor sent echoed back
 *                     (exactly what the exhausted page looks like)
 * - `nullData`        `"data": null`, otherwise as `emptyArray`
 * - `missingCursor`   the page's data as usual but no `nextCursorMark` key
 * - `sameCursor`      the page's data as usual but `nextCursorMark` equal to the cursor sent
 * - `shrinkingTotal`  `"data": []` and `total` lowered to the page's start index, so that everything
 *                     read so far looks like the whole collection
 */
export const PAGE_FAULT_KINDS = ['emptyArray', 'nullData', 'missingCursor', 'sameCursor', 'shrinkingTotal'] as const;
export type PageFaultKind = (typeof PAGE_FAULT_KINDS)[number];

export interface EmulatorPageFault {
  kind: PageFaultKind;
  /**
   * Damage only pages that start at or after this 0-based index of the collection (in the requested
   * order). Default 0: every matching page. `{fromIndex: 1400}` with 200-indicator pages leaves pages
   * 1-7 intact and damages page 8 and every page after it.
   */
  fromIndex?: number;
}

/** An injected fault (POST /__emulator/faults). `path` matches as a prefix of the request path. */
export interface EmulatorFault {
  match?: { method?: string; path?: string };
  /** Answer with this status (429, 500, 503, …); without it, only the delay applies. */
  status?: number;
  /**
   * Instead of a status: answer a collection page (GET /api/indicators/query/hash/{id}) with HTTP 200
   * and a damaged body. Each damaged answer uses one of `times`, so `times: 2` heals after two damaged
   * answers (a re-request can then succeed) and a large `times` is persistent. Requests that are not a
   * matching collection page pass through untouched and use none.
   */
  page?: EmulatorPageFault;
  /** How many matching requests it affects. Default 1. */
  times?: number;
  /** Retry-After header value in seconds. */
  retryAfter?: number;
  /** Wait this long before answering (a slow response). */
  delayMs?: number;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Authorization scheme as sent (`Bearer`, `bearer`, `Basic`, …) or `none`. */
  auth: string;
  /** `grant_type` of token requests. */
  grant?: string;
  /** True when an injected fault produced the answer. */
  fault?: boolean;
}

export interface EmulatorContext {
  store: EmulatorStore;
  /** Tags and attributes written through the write-back endpoints, and their write log. */
  annotations: AnnotationStore;
  tokens: EmulatorTokens;
  behaviour: EmulatorBehaviour;
  faults: EmulatorFault[];
  /** Seeded random faults on /api/* requests, consulted when no scripted fault matches. */
  random?: RandomFaults | undefined;
  log: RequestLogEntry[];
  idOffset: number;
  applySeed(seed: ThreatQSeed, replace: boolean): void;
  reset(): void;
}
