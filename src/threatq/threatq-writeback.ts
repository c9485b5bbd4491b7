/**
 * Write-back to ThreatQ: tags and attributes of indicators (reference threatq-api.md §7, §9.5), sent
 * through the client's authenticated request (ThreatQClient.send: Bearer token, one re-authentication
 * on a 401; the transport retries 408/429/5xx and network errors with full-jitter backoff or the
 * server's Retry-After, src/http/retry-policy.ts, and gives up with ERR_THREATQ_UNAVAILABLE).
 *
 *   POST   /api/indicators/{id}/tags                      [{"name"}]        → 201 {"data":[{"id","name",…}]}
 *   DELETE /api/indicators/{id}/tags/{tagId}                                → 204 (EMULATOR: [I], not in the
 *                                                                             reference: a DELETE of the pivot by tag id)
 *   POST   /api/indicators/{id}/attributes                {"name","value"}  → 201 {"data":[{"id","attribute_id","name","value",…}]}
 *   PUT    /api/indicators/{id}/attributes/{attributeId}  {"value"}         → 200 (body [I]; not read)
 *   DELETE /api/indicators/{id}/attributes/{attributeId}                    → 204
 *
 * Answers: 2xx done; 404 → `'gone'` (the indicator, or that tag or attribute on it, does not exist:
 * for a delete that is the end state wanted, after an add or update the caller forgets the
 * indicator); 400/403/422 → ERR_THREATQ_WRITE_REFUSED (not retried); any other status →
 * ERR_THREATQ_HTTP; a 2xx body that is not JSON, lacks the written object or carries `errors` →
 * ERR_THREATQ_RESPONSE. The written object is the item of `data` with the name written (and, for an
 * attribute, the value), or else the only item whose name matches without case; never just the first
 * item: its id is deleted later, and an id taken from another item (an analyst's tag or attribute
 * listed with it) would delete that.
 * Permissions: the API user (or OAuth client) needs a role that may edit indicator context: the
 * default roles Administrator, Maintenance or Primary Contributor, or a custom role with Objects &
 * Context › Individual Object Context & Actions › Tags and Attributes ([I]: the help center names the
 * Attributes permission; Tags by analogy). Read Only is refused (403).
 * Pacing: `beforeRequest` is awaited before each request (its retries are spaced by the retry policy).
 * `stats` counts requests by "METHOD status" (`METHOD ERR` when no status came back) for the metrics.
 */
import type { Method } from 'got';
import { ThreatQError } from './errors/threatq-error.ts';
import type { ThreatQErrorContext } from './errors/threatq-error-context.ts';
import { ThreatQHttpError } from './errors/threatq-http-error.ts';
import { ThreatQResponseError } from './errors/threatq-response-error.ts';
import { ThreatQWriteRefusedError } from './errors/threatq-write-refused-error.ts';
import { serverMessage } from './server-message.ts';
import type { ThreatQClient } from './threatq-client.ts';

/** A tag as attached to an indicator (`id` is the tag's id, the same for every indicator). */
export interface WrittenTag {
  id: number;
  name: string;
}

/** An attribute of an indicator: `id` is this attribute's id, `attributeId` its attribute type's. */
export interface WrittenAttribute {
  id: number;
  attributeId: number;
  name: string;
  value: string;
}

export type Gone = 'gone';

export interface ThreatQWriterOptions {
  /** Awaited before every request (a shared pace per instance). */
  beforeRequest?: () => Promise<void>;
  signal?: AbortSignal | undefined;
}

function asId(v: unknown): number | undefined {
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The objects of `data` (an array, or one object). */
function dataItems(body: unknown): Record<string, unknown>[] {
  const data = (body as { data?: unknown } | null)?.data;
  const list = Array.isArray(data) ? (data as unknown[]) : data !== null && typeof data === 'object' ? [data] : [];
  return list.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object');
}

/**
 * The item of a POST's `data` that is the object written: the one named exactly `name` (and passing
 * `also`), or else the only one whose name matches without case; undefined when there is none, or
 * several without an exact match.
 */
function writtenItem(items: readonly Record<string, unknown>[], name: string, also: (item: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  const exact = items.find((i) => i['name'] === name && also(i));
  if (exact !== undefined) return exact;
  const folded = items.filter((i) => typeof i['name'] === 'string' && i['name'].toLowerCase() === name.toLowerCase() && also(i));
  return folded.length === 1 ? folded[0] : undefined;
}

export class ThreatQWriter {
  readonly byMethodStatus: Record<string, number> = {};

  constructor(
    private readonly client: ThreatQClient,
    private readonly options: ThreatQWriterOptions = {},
  ) {}

  /** Attach tag `name` (ThreatQ makes the tag when it is new); its id, or 'gone'. */
  async addTag(indicatorId: number, name: string): Promise<WrittenTag | Gone> {
    const res = await this.write('POST', `/indicators/${indicatorId}/tags`, [{ name }]);
    if (res === 'gone') return res;
    const hit = writtenItem(dataItems(res.body), name, () => true);
    const id = asId(hit?.['id']);
    if (hit === undefined || id === undefined) throw this.unreadable('POST', `/indicators/${indicatorId}/tags`, `no tag named "${name}" with an id in "data"`);
    return { id, name: typeof hit['name'] === 'string' ? hit['name'] : name };
  }

  async removeTag(indicatorId: number, tagId: number): Promise<'removed' | Gone> {
    return (await this.write('DELETE', `/indicators/${indicatorId}/tags/${tagId}`)) === 'gone' ? 'gone' : 'removed';
  }

  async addAttribute(indicatorId: number, name: string, value: string): Promise<WrittenAttribute | Gone> {
    const path = `/indicators/${indicatorId}/attributes`;
    const res = await this.write('POST', path, { name, value });
    if (res === 'gone') return res;
    const hit = writtenItem(dataItems(res.body), name, (a) => a['value'] === value);
    const id = asId(hit?.['id']);
    if (hit === undefined || id === undefined) throw this.unreadable('POST', path, `no attribute named "${name}" with the value written and an id in "data"`);
    return { id, attributeId: asId(hit['attribute_id']) ?? 0, name, value };
  }

  /**
   * The indicator's attribute named `name` whose value `accept` takes (`GET /indicators/{id}?with=attributes`),
   * or undefined; 'gone' for an unknown indicator. Lets a write adopt what an earlier, interrupted
   * attempt already wrote instead of adding it twice.
   */
  async findAttribute(indicatorId: number, name: string, accept: (value: string) => boolean): Promise<WrittenAttribute | undefined | Gone> {
    const res = await this.write('GET', `/indicators/${indicatorId}?with=attributes`);
    if (res === 'gone') return res;
    const list = dataItems(res.body)[0]?.['attributes'];
    const items = Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
    const hit = writtenItem(items, name, (a) => typeof a['value'] === 'string' && accept(a['value']));
    const id = asId(hit?.['id']);
    if (hit === undefined || id === undefined) return undefined;
    return { id, attributeId: asId(hit['attribute_id']) ?? 0, name, value: String(hit['value']) };
  }

  async updateAttribute(indicatorId: number, attributeId: number, value: string): Promise<'updated' | Gone> {
    return (await this.write('PUT', `/indicators/${indicatorId}/attributes/${attributeId}`, { value })) === 'gone' ? 'gone' : 'updated';
  }

  async removeAttribute(indicatorId: number, attributeId: number): Promise<'removed' | Gone> {
    return (await this.write('DELETE', `/indicators/${indicatorId}/attributes/${attributeId}`)) === 'gone' ? 'gone' : 'removed';
  }

  /** One write: its parsed 2xx body (undefined when empty), or 'gone' on a 404. */
  private async write(method: Method, path: string, json?: unknown): Promise<{ body: unknown } | Gone> {
    await this.options.beforeRequest?.();
    const ctx: ThreatQErrorContext = { instance: this.client.name };
    let status: number | undefined;
    try {
      const res = await this.client.send({ method, path, ...(json === undefined ? {} : { json }), ctx, signal: this.options.signal });
      status = res.status;
      return this.interpret(method, path, res.status, res.body);
    } catch (e) {
      if (status === undefined) status = e instanceof ThreatQError ? (e.details['status'] as number | undefined) : undefined;
      throw e;
    } finally {
      const key = `${method} ${status ?? 'ERR'}`;
      this.byMethodStatus[key] = (this.byMethodStatus[key] ?? 0) + 1;
    }
  }

  private interpret(method: Method, path: string, status: number, text: string): { body: unknown } | Gone {
    const failCtx: ThreatQErrorContext = { instance: this.client.name, status, request: `${method} /api${path}` };
    if (status === 404) return 'gone';
    if (status === 400 || status === 403 || status === 422) throw new ThreatQWriteRefusedError(failCtx, serverMessage(text));
    if (status < 200 || status >= 300) throw new ThreatQHttpError(failCtx, serverMessage(text), 'Check the instance URL and that this ThreatQ version has the endpoint.');
    if (text.trim() === '') return { body: undefined };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ThreatQResponseError(failCtx, 'the body is not JSON', { cause: e });
    }
    if (body !== null && typeof body === 'object' && 'errors' in body) throw new ThreatQResponseError(failCtx, `the body carries errors: ${serverMessage(text) ?? 'unspecified'}`);
    return { body };
  }

  private unreadable(method: Method, path: string, problem: string): ThreatQResponseError {
    return new ThreatQResponseError({ instance: this.client.name, request: `${method} /api${path}` }, problem);
  }
}
