/**
 * One emulated indicator as the collection endpoint returns it (reference §9.2), in two forms that
 * must stay byte-for-byte equal once serialised (a property test holds them together):
 * - `indicatorJson`: the object, for single-indicator reads and damaged (faulted) pages;
 * - `indicatorText`: its JSON text, written directly for the pages of the collection endpoint. A page
 *   of 1,000 through objects and JSON.stringify cost the emulator about 10 µs per indicator, as much
 *   CPU as the worker that reads it; bench:e2e runs the emulators on the same two cores as the service.
 * Strings that could need escaping (value, names, description) still go through JSON.stringify.
 */
import type { EmulatorContext } from './emulator-context.ts';
import type { StoredStatus, StoredType } from './emulator-store.ts';
import { formatTime } from './cursor-mark.ts';
import { hash32 } from './indicator-generator.ts';

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (h: number): string => (HEX2[h >>> 24] as string) + (HEX2[(h >>> 16) & 255] as string) + (HEX2[(h >>> 8) & 255] as string) + (HEX2[h & 255] as string);

/** The `hash` field: 32 hex digits derived from the id. */
function hashOf(id: number): string {
  return hex8(hash32(id, 1)) + hex8(hash32(id, 2)) + hex8(hash32(id, 3)) + hex8(hash32(id, 4));
}

/** The JSON of row `r` as the collection endpoint returns it. */
export function indicatorJson(ctx: EmulatorContext, r: number, withScoreObject: boolean): Record<string, unknown> {
  const rec = ctx.store.record(r);
  const b = ctx.behaviour;
  const updated = formatTime(rec.updatedAt);
  const created = formatTime(rec.createdAt);
  const out: Record<string, unknown> = { id: rec.id, value: rec.value, class: rec.type.class, type_id: rec.type.id };
  if (!b.idsOnly) out['type'] = { id: rec.type.id, name: rec.type.name, class: rec.type.class };
  out['status_id'] = rec.status.id;
  if (!b.idsOnly) out['status'] = { id: rec.status.id, name: rec.status.name, description: rec.status.description };
  out['score'] = b.scoreAsObject || withScoreObject ? scoreObject(rec.id, rec.score, created, updated) : rec.score;
  out['hash'] = hashOf(rec.id);
  Object.assign(out, { description: null, created_at: created, updated_at: updated, published_at: created, touched_at: updated, adversaries: [] });
  return out;
}

/** The object form of `score` (`with=score`, or the scoreAsObject behaviour). */
function scoreObject(id: number, score: number | null, created: string, updated: string): Record<string, unknown> {
  return {
    id,
    indicator_id: id,
    generated_score: score === null ? null : score.toFixed(2),
    manual_score: null,
    score_config_hash: 'emulator',
    created_at: created,
    updated_at: updated,
  };
}

// Types and statuses are few and replaced whole (never edited in place): their text is kept per object.
const typeText = new WeakMap<StoredType, string>();
const statusText = new WeakMap<StoredStatus, string>();

/** The JSON text of an indicator's embedded `type` and `status` objects, made once per object. */
function embeddedText(t: StoredType, s: StoredStatus): { type: string; status: string } {
  let type = typeText.get(t);
  if (type === undefined) {
    type = JSON.stringify({ id: t.id, name: t.name, class: t.class });
    typeText.set(t, type);
  }
  let status = statusText.get(s);
  if (status === undefined) {
    status = JSON.stringify({ id: s.id, name: s.name, description: s.description });
    statusText.set(s, status);
  }
  return { type, status };
}

/** `JSON.stringify(indicatorJson(ctx, r, false))`, written directly. */
export function indicatorText(ctx: EmulatorContext, r: number): string {
  const rec = ctx.store.record(r);
  const b = ctx.behaviour;
  const updated = formatTime(rec.updatedAt);
  const created = formatTime(rec.createdAt);
  const score = b.scoreAsObject ? JSON.stringify(scoreObject(rec.id, rec.score, created, updated)) : JSON.stringify(rec.score);
  const embedded = b.idsOnly ? undefined : embeddedText(rec.type, rec.status);
  const id = JSON.stringify(rec.id);
  return (
    `{"id":${id},"value":${JSON.stringify(rec.value)},"class":${JSON.stringify(rec.type.class)},"type_id":${JSON.stringify(rec.type.id)}` +
    (embedded === undefined ? '' : `,"type":${embedded.type}`) +
    `,"status_id":${JSON.stringify(rec.status.id)}` +
    (embedded === undefined ? '' : `,"status":${embedded.status}`) +
    `,"score":${score},"hash":"${hashOf(rec.id)}","description":null,"created_at":"${created}","updated_at":"${updated}",` +
    `"published_at":"${created}","touched_at":"${updated}","adversaries":[]}`
  );
}
