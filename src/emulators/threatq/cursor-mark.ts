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

/** Epoch seconds → `YYYY-MM-DD HH:MM:SS` (UTC). */
export function formatTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
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
