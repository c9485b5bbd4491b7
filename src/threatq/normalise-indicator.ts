/**
 * Pure normalisation of one raw ThreatQ indicator into the fields that flow downstream.
 *
 * - id: the ThreatQ indicator id as a string (numbers and numeric strings accepted).
 * - value: kept as given (untrimmed: the range engine canonicalises and reports malformed values).
 * - type / status names: from the embedded `type.name` / `status.name` (or a plain string), else from
 *   `type_id` / `status_id` through the instance's lookup maps; `undefined` when neither resolves.
 * - score: a number (or numeric string) as is; the object form `{manual_score, generated_score}`
 *   gives manual when set, else generated (reference §3); anything else → null.
 * - updated_at: ThreatQ's `"YYYY-MM-DD HH:MM:SS"` is UTC without a zone → ISO-8601 `…Z`; strings that
 *   already carry a zone are parsed as such; unparseable → null.
 * An object without a usable id, or without a value field, is reported as malformed (`malformed:no-id`,
 * `malformed:no-value`); an empty or blank value string goes on to be rejected as EMPTY by the range engine.
 */
import type { ThreatQNameMaps, ThreatQRawIndicator } from './threatq-types.ts';

export interface NormalisedIndicator {
  id: string;
  value: string;
  typeName: string | undefined;
  typeId: number | undefined;
  statusName: string | undefined;
  statusId: number | undefined;
  score: number | null;
  updatedAt: string | null;
  createdAt: string | null;
}

export type NormaliseResult = { ok: true; indicator: NormalisedIndicator } | { ok: false; reason: string };

const THREATQ_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/** Two ASCII digits at `i` as a number, or -1. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The last calendar day (yyyymmdd) found valid: a page's times mostly share a few days. */
let lastValidDay = -1;

/**
 * Fast path for ThreatQ's own format, `YYYY-MM-DD HH:MM:SS` (every indicator carries two, so this is
 * on the paging hot path): checked field by field and against the calendar with Date.UTC (skipped
 * when the day is the last one found valid), then rewritten as ISO text without parsing a string.
 * undefined when the text is in any other shape.
 */
function fastThreatQTime(s: string): string | undefined {
  if (s.length !== 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
    return undefined;
  }
  const c = digits2(s, 0);
  const yy = digits2(s, 2);
  const mo = digits2(s, 5);
  const d = digits2(s, 8);
  const h = digits2(s, 11);
  const mi = digits2(s, 14);
  const se = digits2(s, 17);
  if (c < 0 || yy < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return undefined;
  const y = c * 100 + yy;
  const day = y * 10_000 + mo * 100 + d;
  if (day !== lastValidDay) {
    if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return undefined; // 31 February: the general path decides
    lastValidDay = day;
  }
  return `${s.slice(0, 10)}T${s.slice(11)}.000Z`;
}

/** `"2024-05-01 10:00:00"` (UTC) → `"2024-05-01T10:00:00.000Z"`; null when absent or unparseable. */
export function parseThreatQTime(value: unknown): string | null {
  if (typeof value === 'string') {
    const fast = fastThreatQTime(value);
    if (fast !== undefined) return fast;
  }
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const m = THREATQ_TIME.exec(text);
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`) : Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Effective score: number as is; object → manual_score when set, else generated_score; else null. */
export function normaliseScore(value: unknown): number | null {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as { manual_score?: unknown; generated_score?: unknown };
    return toNumber(o.manual_score) ?? toNumber(o.generated_score);
  }
  return toNumber(value);
}

function toId(value: unknown): number | undefined {
  const n = toNumber(value);
  return n !== null && Number.isInteger(n) ? n : undefined;
}

/** Name and id of an embedded `type`/`status`: an object `{id, name}` or a plain string name. */
function embedded(value: unknown): { name: string | undefined; id: number | undefined } {
  if (typeof value === 'string') return { name: value.trim() || undefined, id: undefined };
  if (value !== null && typeof value === 'object') {
    const o = value as { id?: unknown; name?: unknown };
    const name = typeof o.name === 'string' && o.name.trim() !== '' ? o.name.trim() : undefined;
    return { name, id: toId(o.id) };
  }
  return { name: undefined, id: undefined };
}

/** True when the object carries an id but no name for its type or status (a lookup is needed). */
export function needsLookup(raw: ThreatQRawIndicator): { types: boolean; statuses: boolean } {
  return { types: embedded(raw.type).name === undefined, statuses: embedded(raw.status).name === undefined };
}

export function normaliseIndicator(raw: unknown, names: ThreatQNameMaps): NormaliseResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'malformed:not-an-object' };
  const o = raw as ThreatQRawIndicator;
  const id = typeof o.id === 'string' && o.id.trim() !== '' ? o.id.trim() : toId(o.id)?.toString();
  if (id === undefined) return { ok: false, reason: 'malformed:no-id' };
  const value = typeof o.value === 'string' ? o.value : typeof o.value === 'number' ? String(o.value) : undefined;
  // An empty or blank string goes on: the range engine rejects it as EMPTY, so it is counted and reported.
  if (value === undefined) return { ok: false, reason: 'malformed:no-value' };

  const type = embedded(o.type);
  const typeId = toId(o.type_id) ?? type.id;
  const status = embedded(o.status);
  const statusId = toId(o.status_id) ?? status.id;
  return {
    ok: true,
    indicator: {
      id,
      value,
      typeName: type.name ?? (typeId === undefined ? undefined : names.types.get(typeId)),
      typeId,
      statusName: status.name ?? (statusId === undefined ? undefined : names.statuses.get(statusId)),
      statusId,
      score: normaliseScore(o.score),
      updatedAt: parseThreatQTime(o.updated_at),
      createdAt: parseThreatQTime(o.created_at),
    },
  };
}
