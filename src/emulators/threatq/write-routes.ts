/**
 * Emulated ThreatQ write-back endpoints (reference §7, §9.5), behind the same Bearer authentication
 * and fault injection as every /api route (the caller authenticates; faults are applied before):
 *
 *   POST   /api/indicators/{id}/tags                      [{"name"}, …]     → 201 {"data":[{id, name, created_at, updated_at}]}
 *   DELETE /api/indicators/{id}/tags/{tagId}                                → 204
 *   POST   /api/indicators/{id}/attributes                {"name","value"}  → 201 {"data":[{id, attribute_id, indicator_id, name, value, …}]}
 *   PUT    /api/indicators/{id}/attributes/{attributeId}  {"value"}         → 200 {"data":{…the attribute…}}
 *   DELETE /api/indicators/{id}/attributes/{attributeId}                    → 204
 *
 * EMULATOR: strict readings where the reference is silent ([I]): an unknown indicator, or a tag or
 * attribute the indicator does not have, is 404 `{"errors":["Object does not exist."]}` (the DELETE
 * of a tag is not in the reference at all); a body that is not JSON is 400; a JSON body of the wrong
 * shape (tags: a non-empty array of objects with a non-empty string `name`; attributes: a non-empty
 * string `name` and `value`; names and values at most 255 characters) is 422 with the Laravel
 * validation shape `{"data":{"errors":{"<field>":["…"]}}}`. Other methods on these paths: 405.
 * Every request that reaches a handler is logged in the annotation store's write log, with what it
 * changed (`none` for a repeat or a refusal).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WriteChange } from './annotation-store.ts';
import type { EmulatorContext } from './emulator-context.ts';
import { EmulatorHttpError } from './errors/emulator-http-error.ts';
import { errorsBody, readBody, sendJson } from './emulator-http.ts';
import { formatTime } from './cursor-mark.ts';

const MAX_TEXT = 255;

const notFound = () => new EmulatorHttpError(404, errorsBody('Object does not exist.'));
const invalid = (field: string, message: string) => new EmulatorHttpError(422, { data: { errors: { [field]: [message] } } });

interface WriteRequest {
  ctx: EmulatorContext;
  method: string;
  path: string;
  indicatorId: number;
  kind: 'tag' | 'attribute';
  /** The tag id or attribute id in the path, when there is one. */
  itemId: number | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

const ROUTE = /^\/api\/indicators\/(\d+)\/(tags|attributes)(?:\/(\d+))?$/;

/** Is this a write-back path (any method)? */
export function isWritePath(path: string): boolean {
  return ROUTE.test(path);
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EmulatorHttpError(400, errorsBody('The request body is not valid JSON.'));
  }
}

function text(v: unknown, field: string, allowEmpty = false): string {
  if (typeof v !== 'string') throw invalid(field, `The ${field} field is required and must be a string.`);
  const t = v.trim();
  if (!allowEmpty && t === '') throw invalid(field, `The ${field} field is required.`);
  if (t.length > MAX_TEXT) throw invalid(field, `The ${field} may not be greater than ${MAX_TEXT} characters.`);
  return t;
}

function log(w: WriteRequest, status: number, change: WriteChange, name?: string, value?: string): void {
  w.ctx.annotations.writes.push({
    at: new Date().toISOString(),
    method: w.method,
    path: w.path,
    indicatorId: w.indicatorId,
    kind: w.kind,
    status,
    change,
    ...(name === undefined ? {} : { name }),
    ...(value === undefined ? {} : { value }),
  });
}

async function postTags(w: WriteRequest): Promise<void> {
  const body = await jsonBody(w.req);
  if (!Array.isArray(body) || body.length === 0) throw invalid('tags', 'The body must be a non-empty array of {"name": …}.');
  const names = body.map((t: unknown, i) => text((t as { name?: unknown } | null)?.name, `${i}.name`));
  const stamp = formatTime(Math.floor(Date.now() / 1000));
  const data = names.map((name) => {
    const { tag, added } = w.ctx.annotations.attachTag(w.indicatorId, name);
    log(w, 201, added ? 'added' : 'none', tag.name);
    return { id: tag.id, name: tag.name, created_at: stamp, updated_at: stamp };
  });
  sendJson(w.res, 201, { data });
}

async function postAttribute(w: WriteRequest): Promise<void> {
  const body = (await jsonBody(w.req)) as { name?: unknown; value?: unknown } | null;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('name', 'The body must be an object {"name", "value"}.');
  const name = text(body.name, 'name');
  const value = text(body.value, 'value');
  const { attribute, added } = w.ctx.annotations.addAttribute(w.indicatorId, name, value);
  log(w, 201, added ? 'added' : 'none', name, value);
  sendJson(w.res, 201, { data: [attribute] });
}

async function putAttribute(w: WriteRequest, attributeId: number): Promise<void> {
  const attribute = w.ctx.annotations.attribute(w.indicatorId, attributeId);
  if (attribute === undefined) throw notFound();
  const body = (await jsonBody(w.req)) as { value?: unknown } | null;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('value', 'The body must be an object {"value"}.');
  const value = text(body.value, 'value');
  const changed = attribute.value !== value;
  attribute.value = value;
  attribute.updated_at = formatTime(Math.floor(Date.now() / 1000));
  log(w, 200, changed ? 'updated' : 'none', attribute.name, value);
  sendJson(w.res, 200, { data: attribute });
}

function remove(w: WriteRequest, itemId: number): void {
  const a = w.ctx.annotations;
  const name = w.kind === 'tag' ? a.tagsOfIndicator(w.indicatorId).find((t) => t.id === itemId)?.name : a.attribute(w.indicatorId, itemId)?.name;
  const done = w.kind === 'tag' ? a.detachTag(w.indicatorId, itemId) : a.removeAttribute(w.indicatorId, itemId);
  if (!done) throw notFound();
  log(w, 204, 'removed', name);
  w.res.writeHead(204).end();
}

async function dispatch(w: WriteRequest): Promise<void> {
  const { method, kind, itemId } = w;
  if (itemId === undefined && method === 'POST') return kind === 'tag' ? postTags(w) : postAttribute(w);
  if (itemId !== undefined && method === 'DELETE') return remove(w, itemId);
  if (itemId !== undefined && method === 'PUT' && kind === 'attribute') return putAttribute(w, itemId);
  throw new EmulatorHttpError(405, errorsBody('Method not allowed.'));
}

/** Handle a write-back request (the path matched isWritePath; the caller has authenticated it). */
export async function handleWrite(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const m = ROUTE.exec(path);
  if (m?.[1] === undefined) throw notFound();
  const w: WriteRequest = {
    ctx,
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    indicatorId: Number(m[1]),
    kind: m[2] === 'tags' ? 'tag' : 'attribute',
    itemId: m[3] === undefined ? undefined : Number(m[3]),
    req,
    res,
  };
  try {
    if (ctx.store.rows.rowById.get(w.indicatorId) === undefined) throw notFound();
    await dispatch(w);
  } catch (e) {
    if (e instanceof EmulatorHttpError) log(w, e.status, 'none');
    throw e;
  }
}
