/**
 * OData query options on the emulated collections: `$filter` (a subset: `displayName eq '…'` with ''
 * escaping, `isof('microsoft.graph.…')`, `createdDateTime ge <date>`, joined by `and`/`or` without
 * parentheses, evaluated left to right), `$top`, `$skiptoken` (our own opaque offset), `$select`.
 * Anything else in `$filter` → 400 `BadRequest` [I]. Items are ordered by creation time, then id.
 * `@odata.nextLink` carries the full URL with every option kept. Each page is cut from the items its
 * own request sees (the replicated view at that moment, no snapshot across pages): when objects appear,
 * disappear or mix between two pages a page may skip or repeat items. EMULATOR: Graph's `$skiptoken`
 * semantics are undocumented; this is the stricter reading (clients key by id and re-list).
 */
import { badRequest, type EmulatorResponse } from './emulator-http.ts';
import type { Json } from './tenant-store.ts';

type Predicate = (item: Json) => boolean;

function tokenize(filter: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i] as string;
    if (ch === "'") {
      if (quoted && filter[i + 1] === "'") {
        cur += "''";
        i++;
        continue;
      }
      quoted = !quoted;
    }
    cur += ch;
    if (!quoted) {
      const m = /\s+(and|or)\s+$/i.exec(cur);
      if (m) {
        parts.push(cur.slice(0, m.index).trim(), (m[1] as string).toLowerCase());
        cur = '';
      }
    }
  }
  parts.push(cur.trim());
  return parts;
}

function clause(text: string): Predicate | undefined {
  let m = /^displayName\s+eq\s+'((?:[^']|'')*)'$/i.exec(text);
  if (m) {
    const want = (m[1] as string).replace(/''/g, "'");
    return (item) => item['displayName'] === want;
  }
  m = /^isof\('(microsoft\.graph\.[A-Za-z]+)'\)$/i.exec(text);
  if (m) {
    const type = `#${m[1] as string}`.toLowerCase();
    return (item) => String(item['@odata.type'] ?? '').toLowerCase() === type;
  }
  m = /^createdDateTime\s+ge\s+(\S+)$/i.exec(text);
  if (m && !Number.isNaN(Date.parse(m[1] as string))) {
    const at = Date.parse(m[1] as string);
    return (item) => Date.parse(String(item['createdDateTime'])) >= at;
  }
  return undefined;
}

export function parseFilter(filter: string): Predicate | EmulatorResponse {
  const tokens = tokenize(filter);
  let pred: Predicate | undefined;
  for (let i = 0; i < tokens.length; i += 2) {
    const p = clause(tokens[i] as string);
    if (!p) return badRequest(`EMULATOR: unsupported $filter clause "${tokens[i] ?? ''}"`);
    const op = tokens[i - 1];
    const prev = pred;
    pred = !prev ? p : op === 'or' ? (x) => prev(x) || p(x) : (x) => prev(x) && p(x);
  }
  return pred ?? (() => true);
}

export interface PageRequest {
  url: URL;
  items: Json[];
  pageSize: number;
  context: string;
  project: (item: Json) => Json;
}

export function listPage(req: PageRequest): EmulatorResponse {
  const q = req.url.searchParams;
  let items = [...req.items].sort(
    (a, b) => String(a['createdDateTime']).localeCompare(String(b['createdDateTime'])) || String(a['id']).localeCompare(String(b['id'])),
  );
  const filter = q.get('$filter');
  if (filter) {
    const pred = parseFilter(filter);
    if (typeof pred !== 'function') return pred;
    items = items.filter(pred);
  }
  const topText = q.get('$top');
  const top = topText === null ? req.pageSize : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > 999) return badRequest(`EMULATOR: invalid $top "${topText ?? ''}"`);
  const skipToken = q.get('$skiptoken');
  const offset = skipToken === null ? 0 : Number(Buffer.from(skipToken, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) return badRequest('EMULATOR: invalid $skiptoken');
  const page = items.slice(offset, offset + top);
  const select = q.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean);
  const value = page.map((item) => {
    const full = req.project(item);
    if (!select) return full;
    const out: Json = { '@odata.type': full['@odata.type'], id: full['id'] };
    for (const k of select) if (k in full) out[k] = full[k];
    if (out['@odata.type'] === undefined) delete out['@odata.type'];
    return out;
  });
  const body: Json = { '@odata.context': req.context, value };
  if (offset + top < items.length) {
    const next = new URL(req.url.href);
    next.searchParams.set('$skiptoken', Buffer.from(String(offset + top)).toString('base64url'));
    body['@odata.nextLink'] = next.href.replace(/%24/g, '$');
  }
  return { status: 200, body };
}
