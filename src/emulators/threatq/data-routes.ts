/**
 * Emulated ThreatQ data endpoints (reference §9.2, §9.4), all behind `Authorization: Bearer <token>`
 * (exactly `Bearer`; ThreatQ rejects `bearer`), else 401 `{"errors":["Unauthenticated."]}`:
 * - GET /api/indicators/query/hash/{id}?limit&sort&cursorMark[&offset][&fields]: stateless cursors
 *   (cursor-mark.ts), `{total, limit, nextCursorMark, data}`; exhausted → `data: []` (or `{}`) with the
 *   cursor sent. Unknown or unshared collection → 404 (or the collection's deniedStatus) `Object does
 *   not exist.`; bad limit/cursor/sort → 400. Page faults (EmulatorFault.page) damage a page here,
 *   after it was computed: empty or null `data`, a missing or repeated cursor, a shrunk `total`.
 * - GET /api/indicator/types[/{id}], /api/indicator/statuses[/{id}] with name/limit/offset.
 * - GET /api/indicators/{id}[?with=score,tags,attributes,…] → `{data}`; score as an object when `with`
 *   has `score`; `tags` and `attributes` arrays when `with` names them.
 * - POST/PUT/DELETE of an indicator's tags and attributes: write-routes.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext, EmulatorFault, PageFaultKind } from './emulator-context.ts';
import { EmulatorHttpError } from './errors/emulator-http-error.ts';
import { errorsBody, sendJson, sendJsonText } from './emulator-http.ts';
import type { TokenGrant } from './emulator-tokens.ts';
import { decodeCursor, encodeCursor, parseSort } from './cursor-mark.ts';
import { indicatorJson, indicatorText } from './indicator-json.ts';
import { handleWrite, isWritePath } from './write-routes.ts';

const bad = (message: string) => new EmulatorHttpError(400, errorsBody(message));
const notFound = () => new EmulatorHttpError(404, errorsBody('Object does not exist.'));

function authenticate(ctx: EmulatorContext, req: IncomingMessage): TokenGrant {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  const grant = m?.[1] === undefined ? undefined : ctx.tokens.check(m[1]);
  if (!grant) throw new EmulatorHttpError(401, errorsBody('Unauthenticated.'));
  return grant;
}

function intParam(url: URL, name: string, dflt: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`The ${name} must be an integer between ${min} and ${max}.`);
  return n;
}

/**
 * The first page fault matching this collection request whose `fromIndex` the page reaches, with one
 * of its `times` used up. `startIndex` (the page's first index in the collection) is computed only when
 * a fault needs it: it costs a pass over the rows before the cursor.
 */
function takePageFault(ctx: EmulatorContext, path: string, startIndex: () => number): EmulatorFault | undefined {
  const f = ctx.faults.find(
    (x) =>
      x.page !== undefined &&
      (x.times ?? 1) > 0 &&
      (x.match?.method === undefined || x.match.method.toUpperCase() === 'GET') &&
      (x.match?.path === undefined || path.startsWith(x.match.path)) &&
      ((x.page.fromIndex ?? 0) <= 0 || startIndex() >= (x.page.fromIndex ?? 0)),
  );
  if (f === undefined) return undefined;
  f.times = (f.times ?? 1) - 1;
  if (f.times <= 0) ctx.faults.splice(ctx.faults.indexOf(f), 1);
  return f;
}

/** The body of a page answered with a scripted fault instead of the real page. */
function pageFaultBody(kind: PageFaultKind, page: { total: number; limit: number; sent: string; data: unknown[]; startIndex: () => number }): Record<string, unknown> {
  const { total, limit, sent, data } = page;
  switch (kind) {
    case 'emptyArray':
      return { total, limit, nextCursorMark: sent, data: [] };
    case 'nullData':
      return { total, limit, nextCursorMark: sent, data: null };
    case 'missingCursor':
      return { total, limit, data };
    case 'sameCursor':
      return { total, limit, nextCursorMark: sent, data };
    case 'shrinkingTotal':
      return { total: page.startIndex(), limit, nextCursorMark: sent, data: [] };
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled page fault kind ${String(unhandled)}`);
    }
  }
}

function collectionPage(ctx: EmulatorContext, grant: TokenGrant, id: string, url: URL, res: ServerResponse, onFault: () => void): void {
  const collection = ctx.store.collections.get(id);
  if (!collection) throw notFound();
  if (collection.sharedWith !== undefined && !collection.sharedWith.includes(grant.principal)) {
    throw collection.deniedStatus === 403 ? new EmulatorHttpError(403, errorsBody('This action is unauthorized.')) : notFound();
  }
  const limit = intParam(url, 'limit', 100, 1, 10_000);
  const keys = parseSort(url.searchParams.get('sort'));
  if (!keys) throw bad('The sort field is invalid (expected updated_at, created_at or id, optionally prefixed with -).');
  const store = ctx.store;
  const order = store.order(keys);
  const cursorMark = url.searchParams.get('cursorMark');
  let pos = 0;
  let skip = 0;
  if (cursorMark === null) skip = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  else if (cursorMark !== '*') {
    const key = decodeCursor(keys, cursorMark);
    if (!key) throw bad('The cursor mark is invalid.');
    pos = store.positionAfter(order, keys, key.values, key.id);
  }
  const pos0 = pos;
  const skip0 = skip;
  const rows: number[] = [];
  let last = -1;
  for (; pos < order.length && rows.length < limit; pos++) {
    const r = order[pos] ?? 0;
    if (!store.inCollection(collection, r)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    rows.push(r);
    last = r;
  }
  const total = store.total(id, collection);
  const next = last < 0 ? (cursorMark ?? '*') : encodeCursor(keys, store.keyOf(last, keys), store.rows.id[last] ?? 0);
  let start: number | undefined;
  const startIndex = (): number => {
    if (start === undefined) {
      start = skip0;
      for (let p = 0; p < pos0; p++) if (store.inCollection(collection, order[p] ?? 0)) start++;
    }
    return start;
  };
  const fault = ctx.faults.length === 0 ? undefined : takePageFault(ctx, url.pathname, startIndex);
  if (fault?.page !== undefined) {
    onFault();
    const data = rows.map((r) => indicatorJson(ctx, r, false));
    return sendJson(res, 200, pageFaultBody(fault.page.kind, { total, limit, sent: cursorMark ?? '*', data, startIndex }));
  }
  if (rows.length === 0) return sendJson(res, 200, { total, limit, nextCursorMark: next, data: ctx.behaviour.emptyPageDataAsObject ? {} : [] });
  // The text of `{total, limit, nextCursorMark, data}`, written directly (indicator-json.ts).
  const head = JSON.stringify({ total, limit, nextCursorMark: next }).slice(0, -1);
  sendJsonText(res, 200, `${head},"data":[${rows.map((r) => indicatorText(ctx, r)).join(',')}]}`);
}

function lookup(ctx: EmulatorContext, kind: 'types' | 'statuses', rest: string, url: URL, res: ServerResponse): void {
  const items: { id: number; name: string }[] = kind === 'types' ? ctx.store.types : ctx.store.statuses;
  const stamp = '2020-01-01 00:00:00';
  const shape = (t: { id: number; name: string }) =>
    kind === 'types'
      ? { ...t, score: null, wildcard_matching: 'Y', created_at: stamp, updated_at: stamp }
      : { ...t, user_editable: 'N', visible: 'Y', protected: 'Y', created_at: stamp, updated_at: stamp };
  if (rest !== '') {
    const item = items.find((t) => String(t.id) === rest);
    if (!item) throw notFound();
    sendJson(res, 200, { data: shape(item) });
    return;
  }
  const name = url.searchParams.get('name');
  const matching = name === null ? items : items.filter((t) => t.name === name);
  const offset = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(url, 'limit', 500, 1, 10_000);
  sendJson(res, 200, { total: matching.length, offset, limit, data: matching.slice(offset, offset + limit).map(shape) });
}

/** Route a request under /api (other than /api/token). */
export function handleData(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, onFault: () => void = () => undefined): void | Promise<void> {
  const grant = authenticate(ctx, req);
  const path = url.pathname.replace(/\/+$/, '');
  if (isWritePath(path)) return handleWrite(ctx, req, res, path);
  if (req.method !== 'GET') throw new EmulatorHttpError(405, errorsBody('Method not allowed.'));
  let m = /^\/api\/indicators\/query\/hash\/([^/]+)$/.exec(path);
  if (m?.[1] !== undefined) return collectionPage(ctx, grant, decodeURIComponent(m[1]), url, res, onFault);
  m = /^\/api\/indicator\/(types|statuses)(?:\/([^/]+))?$/.exec(path);
  if (m?.[1] !== undefined) return lookup(ctx, m[1] as 'types' | 'statuses', m[2] ?? '', url, res);
  m = /^\/api\/indicators\/(\d+)$/.exec(path);
  if (m?.[1] !== undefined) {
    const r = ctx.store.rows.rowById.get(Number(m[1]));
    if (r === undefined) throw notFound();
    const withs = (url.searchParams.get('with') ?? '').split(',');
    const data = indicatorJson(ctx, r, withs.includes('score'));
    if (withs.includes('tags')) data['tags'] = ctx.annotations.tagsOfIndicator(Number(m[1]));
    if (withs.includes('attributes')) data['attributes'] = ctx.annotations.attributesOfIndicator(Number(m[1]));
    return sendJson(res, 200, { data });
  }
  throw notFound();
}
