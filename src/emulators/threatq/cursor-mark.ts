/**
 * Stateless cursors of the emulated collection endpoint (reference §9.2): base64url of the JSON
 * `[sortValue, id]` of the last item of the previous page, or `[[v1, v2, …], id]` for a comma list of
 * sort keys. Times are written as ThreatQ writes them (`YYYY-MM-DD HH:MM:SS`), so a cursor survives
 * emulator restarts and can be replayed. Also: the sort parameter parser and time formatting.
 */
import type { SortField, SortKey } from './emulator-store.ts';

const FIELDS: readonly SortField[] = ['updated_at', 'created_at', 'id'];

/** `"-updated_at,id"` → keys; a trailing `id` key is dropped (id is always the tie-break). */
export function parseSort(text: string | null): SortKey[] | undefined {
  const spec = text === null || text.trim() === '' ? 'id' : text;
  const keys: SortKey[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const desc = part.startsWith('-');
    const field = (desc ? part.slice(1) : part) as SortField;
    if (!FIELDS.includes(field)) return undefined;
    keys.push({ field, desc });
  }
  const last = keys[keys.length - 1];
  if (keys.length > 1 && last?.field === 'id' && !last.desc) keys.pop();
  return keys;
}

/** Epoch seconds → `YYYY-MM-DD HH:MM:SS` (UTC), by way of Date (any time Date accepts). */
function formatTimeByDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

const DAY_S = 86_400;
/** Days 0001-01-01 … 9999-12-31 relative to 1970: where the date part is always 10 characters. */
const MIN_DAY = -719_162;
const MAX_DAY = 2_932_896;
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** Date parts of recent days (an indicator's created and updated days differ); cleared when full. */
const dates = new Map<number, string>();

/**
 * Epoch seconds → `YYYY-MM-DD HH:MM:SS` (UTC), as `formatTimeByDate` writes it. Every indicator of a
 * page carries two of these, so the date parts of recent days are kept and only the time of day is
 * computed (a page of 1,000 took 15 % of the emulator's CPU through Date); other inputs go by Date.
 */
export function formatTime(epochSeconds: number): string {
  const whole = Math.floor(Math.trunc(epochSeconds * 1000) / 1000); // as Date truncates the milliseconds
  const day = Math.floor(whole / DAY_S);
  if (!(day >= MIN_DAY && day < MAX_DAY)) return formatTimeByDate(epochSeconds);
  let date = dates.get(day);
  if (date === undefined) {
    if (dates.size >= 4096) dates.clear();
    date = new Date(day * DAY_S * 1000).toISOString().slice(0, 10);
    dates.set(day, date);
  }
  const s = whole - day * DAY_S;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${date} ${PAD2[h] as string}:${PAD2[m] as string}:${PAD2[s % 60] as string}`;
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) → epoch seconds, or undefined. */
export function parseTime(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

function encodeValue(field: SortField, v: number): string | number {
  return field === 'id' ? v : formatTime(v);
}

function decodeValue(field: SortField, v: unknown): number | undefined {
  if (field === 'id') return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
  return typeof v === 'string' ? parseTime(v) : undefined;
}

export function encodeCursor(keys: readonly SortKey[], values: readonly number[], id: number): string {
  const encoded = keys.map((k, i) => encodeValue(k.field, values[i] ?? 0));
  const payload = keys.length === 1 ? [encoded[0], id] : [encoded, id];
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** The (values, id) of a cursor, or undefined when it is not one of ours for these sort keys. */
export function decodeCursor(keys: readonly SortKey[], cursor: string): { values: number[]; id: number } | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(payload) || payload.length !== 2) return undefined;
  const [raw, id] = payload as [unknown, unknown];
  if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
  const list = keys.length === 1 ? [raw] : raw;
  if (!Array.isArray(list) || list.length !== keys.length) return undefined;
  const values: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const v = key === undefined ? undefined : decodeValue(key.field, list[i]);
    if (v === undefined) return undefined;
    values.push(v);
  }
  return { values, id };
}
