/**
 * `/__emulator/*`: test and demo controls of the ThreatQ emulator (not ThreatQ API; reference §9.6).
 *   POST   /__emulator/reset                 back to the start-up seed, behaviour, no faults/tokens/log
 *   POST   /__emulator/seed                  ThreatQSeed; keys given replace, others stay (types or
 *                                            statuses given without indicators clear the indicators)
 *   POST   /__emulator/tokens/expire         every current access token answers 401 from now on
 *   GET|POST|DELETE /__emulator/faults       list / add (one fault or {faults:[…]}: {match, status |
 *                                            delayMs | page: {kind, fromIndex}, times, retryAfter};
 *                                            page kinds: emptyArray, nullData, missingCursor,
 *                                            sameCursor, shrinkingTotal; {random: {p429,
 *                                            p500, p503, p504, seed, retryAfterSeconds, path,
 *                                            method} | null} starts or stops seeded random faults)
 *                                            / clear (random faults too)
 *   POST   /__emulator/indicators/{id}       mutate {value?, type?, status?, score?, updated_at?};
 *                                            updated_at defaults to now (a touched indicator moves)
 *   GET|DELETE /__emulator/requests          the request log / clear it
 *   GET    /__emulator/annotations           tags and attributes of every indicator that has any
 *   GET|DELETE /__emulator/writes            the write-back request log (write-routes.ts) / clear it
 *   GET    /__emulator/state                 counts, collections, credentials, behaviour
 *   POST   /__emulator/config                change behaviour switches (EmulatorBehaviour)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PAGE_FAULT_KINDS, type EmulatorBehaviour, type EmulatorContext, type EmulatorFault } from './emulator-context.ts';
import { EmulatorHttpError } from './errors/emulator-http-error.ts';
import { errorsBody, parseJson, readBody, sendJson } from './emulator-http.ts';
import type { ThreatQSeed } from './emulator-seed.ts';
import type { EmulatedAttribute, EmulatedTag } from './annotation-store.ts';
import { parseTime } from './cursor-mark.ts';
import { RandomFaults, validateRandomFaults } from '../random-faults.ts';

export interface IndicatorPatch {
  value?: string;
  type?: string;
  status?: string;
  score?: number | null;
  /** `YYYY-MM-DD HH:MM:SS` UTC; default now. */
  updated_at?: string;
}

export function mutateIndicator(ctx: EmulatorContext, id: number, patch: IndicatorPatch, now = Date.now()): void {
  const rows = ctx.store.rows;
  const r = rows.rowById.get(id);
  if (r === undefined) throw new EmulatorHttpError(404, errorsBody(`Indicator ${id} does not exist.`));
  const updated = patch.updated_at === undefined ? Math.floor(now / 1000) : parseTime(patch.updated_at);
  if (updated === undefined) throw new EmulatorHttpError(400, errorsBody('updated_at must be "YYYY-MM-DD HH:MM:SS".'));
  try {
    if (patch.type !== undefined) rows.type[r] = ctx.store.typeIndex(patch.type);
    if (patch.status !== undefined) rows.status[r] = ctx.store.statusIndex(patch.status);
  } catch (e) {
    throw new EmulatorHttpError(400, errorsBody((e as Error).message));
  }
  if (patch.value !== undefined) rows.values[r] = patch.value;
  if (patch.score !== undefined) rows.score[r] = patch.score === null ? -1 : Math.max(0, Math.min(10, Math.round(patch.score)));
  rows.updated[r] = updated;
  ctx.store.changed();
}

/** The tags and attributes of one indicator (GET /__emulator/annotations, `annotations()`). */
export interface IndicatorAnnotations {
  id: number;
  value: string;
  tags: EmulatedTag[];
  attributes: EmulatedAttribute[];
}

export function annotationsOf(ctx: EmulatorContext): IndicatorAnnotations[] {
  const rows = ctx.store.rows;
  return ctx.annotations.annotated().map((id) => ({
    id,
    value: rows.values[rows.rowById.get(id) ?? -1] ?? '',
    tags: ctx.annotations.tagsOfIndicator(id),
    attributes: ctx.annotations.attributesOfIndicator(id),
  }));
}

/** `{random: {...} | null}`: start or stop seeded random faults. */
function setRandom(ctx: EmulatorContext, value: unknown): void {
  try {
    ctx.random = value === null ? undefined : new RandomFaults(validateRandomFaults(value));
  } catch (e) {
    throw new EmulatorHttpError(400, errorsBody((e as Error).message));
  }
}

export function addFaults(ctx: EmulatorContext, body: unknown): number {
  if (body !== null && typeof body === 'object' && 'random' in body) {
    setRandom(ctx, (body as { random: unknown }).random);
    if (!('faults' in body)) return 0;
  }
  const list = (body !== null && typeof body === 'object' && 'faults' in body ? (body as { faults: unknown }).faults : [body]) as unknown;
  if (!Array.isArray(list)) throw new EmulatorHttpError(400, errorsBody('Expected a fault or {"faults": [...]}.'));
  for (const f of list as EmulatorFault[]) {
    if (f === null || typeof f !== 'object') throw new EmulatorHttpError(400, errorsBody('A fault must be an object.'));
    if (f.page !== undefined) {
      const page = f.page as { kind?: unknown; fromIndex?: unknown } | null;
      if (page === null || typeof page !== 'object' || !(PAGE_FAULT_KINDS as readonly unknown[]).includes(page.kind)) {
        throw new EmulatorHttpError(400, errorsBody(`A page fault needs a kind, one of ${PAGE_FAULT_KINDS.join(', ')}.`));
      }
      if (page.fromIndex !== undefined && !(Number.isInteger(page.fromIndex) && (page.fromIndex as number) >= 0)) {
        throw new EmulatorHttpError(400, errorsBody('A page fault\'s fromIndex must be an integer >= 0.'));
      }
      if (f.status !== undefined || f.delayMs !== undefined) throw new EmulatorHttpError(400, errorsBody('A page fault takes no status or delayMs.'));
    } else if (f.status === undefined && f.delayMs === undefined) throw new EmulatorHttpError(400, errorsBody('A fault needs a status, a delayMs or a page.'));
    ctx.faults.push({ ...f, times: f.times ?? 1 });
  }
  return list.length;
}

export function describeState(ctx: EmulatorContext): Record<string, unknown> {
  const s = ctx.store;
  return {
    indicators: s.rows.count,
    collections: [...s.collections.entries()].map(([id, c]) => ({ id, total: s.total(id, c), sharedWith: c.sharedWith ?? 'everyone' })),
    types: s.types,
    statuses: s.statuses,
    users: s.users,
    clients: s.clients,
    behaviour: ctx.behaviour,
    faults: ctx.faults,
    tokensIssued: ctx.tokens.issuedCount,
  };
}

export async function handleControl(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const body = method === 'POST' ? parseJson(await readBody(req)) : undefined;
  const route = `${method} ${path}`;
  if (route === 'POST /__emulator/reset') {
    ctx.reset();
    return sendJson(res, 200, { ok: true });
  }
  if (route === 'POST /__emulator/seed') {
    try {
      ctx.applySeed(body as ThreatQSeed, false);
    } catch (e) {
      throw new EmulatorHttpError(400, errorsBody((e as Error).message));
    }
    return sendJson(res, 200, { ok: true, indicators: ctx.store.rows.count });
  }
  if (route === 'POST /__emulator/tokens/expire') return sendJson(res, 200, { ok: true, expired: ctx.tokens.expireAll() });
  if (route === 'GET /__emulator/faults') return sendJson(res, 200, ctx.random ? { data: ctx.faults, random: ctx.random.state() } : { data: ctx.faults });
  if (route === 'POST /__emulator/faults') {
    const added = addFaults(ctx, body);
    return sendJson(res, 200, ctx.random ? { ok: true, added, random: ctx.random.state() } : { ok: true, added });
  }
  if (route === 'DELETE /__emulator/faults') {
    ctx.faults.length = 0;
    ctx.random = undefined;
    return sendJson(res, 200, { ok: true });
  }
  if (route === 'GET /__emulator/requests') return sendJson(res, 200, { data: ctx.log });
  if (route === 'DELETE /__emulator/requests') {
    ctx.log.length = 0;
    return sendJson(res, 200, { ok: true });
  }
  if (route === 'GET /__emulator/state') return sendJson(res, 200, describeState(ctx));
  if (route === 'GET /__emulator/annotations') return sendJson(res, 200, { data: annotationsOf(ctx) });
  if (route === 'GET /__emulator/writes') return sendJson(res, 200, { data: ctx.annotations.writes });
  if (route === 'DELETE /__emulator/writes') {
    ctx.annotations.writes.length = 0;
    return sendJson(res, 200, { ok: true });
  }
  if (route === 'POST /__emulator/config') {
    const patch = body as Partial<EmulatorBehaviour>;
    for (const k of Object.keys(patch) as (keyof EmulatorBehaviour)[]) {
      if (!(k in ctx.behaviour)) throw new EmulatorHttpError(400, errorsBody(`Unknown behaviour switch "${k}".`));
    }
    Object.assign(ctx.behaviour, patch);
    return sendJson(res, 200, { ok: true, behaviour: ctx.behaviour });
  }
  const m = /^POST \/__emulator\/indicators\/(\d+)$/.exec(route);
  if (m?.[1] !== undefined) {
    mutateIndicator(ctx, Number(m[1]), body as IndicatorPatch);
    return sendJson(res, 200, { ok: true });
  }
  throw new EmulatorHttpError(404, errorsBody(`No emulator control ${route}.`));
}
