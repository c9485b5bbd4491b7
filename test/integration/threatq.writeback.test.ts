/**
 * The ThreatQ emulator's write-back endpoints (tags and attributes of indicators) over real HTTP, and
 * the client's ThreatQWriter against them: authentication, 404s, strict bodies, injected 429/500s.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { ThreatQWriter } from '../../src/threatq/threatq-writeback.ts';
import { SyncError } from '../../src/errors/sync-error.ts';
import { makeClient } from '../fixtures/threatq/helpers.ts';

let emu: ThreatQEmulator;
let firstId: number;

async function token(): Promise<string> {
  const c = emu.clients[0];
  if (!c) throw new Error('no client');
  const res = await fetch(`${emu.url}/api/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}` },
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(method: string, path: string, body?: unknown, auth?: string): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth !== undefined) headers['authorization'] = `Bearer ${auth}`;
  const res = await fetch(`${emu.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

beforeAll(async () => {
  emu = await startThreatQEmulator({ generate: { count: 20, seed: 3 } });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  firstId = [...emu.indicators()][0]?.id ?? 0;
});

describe('ThreatQ emulator write-back endpoints', () => {
  it('tags and untags an indicator; a repeat changes nothing; GET ?with=tags,attributes shows them', async () => {
    const t = await token();
    const add = await call('POST', `/api/indicators/${firstId}/tags`, [{ name: 'Blocked in Entra' }], t);
    expect(add.status).toBe(201);
    const tag = (add.json as { data: { id: number; name: string }[] }).data[0];
    expect(tag?.name).toBe('Blocked in Entra');
    const again = await call('POST', `/api/indicators/${firstId}/tags`, [{ name: 'blocked in entra' }], t);
    expect((again.json as { data: { id: number }[] }).data[0]?.id).toBe(tag?.id);
    const attr = await call('POST', `/api/indicators/${firstId}/attributes`, { name: 'Entra Block', value: 'corp since 2024-05-01T10:00:00Z' }, t);
    expect(attr.status).toBe(201);
    const a = (attr.json as { data: { id: number; attribute_id: number; name: string; value: string }[] }).data[0];
    expect(a).toMatchObject({ name: 'Entra Block', value: 'corp since 2024-05-01T10:00:00Z' });
    const got = await call('GET', `/api/indicators/${firstId}?with=tags,attributes`, undefined, t);
    expect((got.json as { data: { tags: unknown[]; attributes: unknown[] } }).data.tags).toHaveLength(1);
    expect((got.json as { data: { tags: unknown[]; attributes: unknown[] } }).data.attributes).toHaveLength(1);
    expect((await call('PUT', `/api/indicators/${firstId}/attributes/${a?.id}`, { value: 'corp removed' }, t)).status).toBe(200);
    expect((await call('DELETE', `/api/indicators/${firstId}/tags/${tag?.id}`, undefined, t)).status).toBe(204);
    expect((await call('DELETE', `/api/indicators/${firstId}/attributes/${a?.id}`, undefined, t)).status).toBe(204);
    expect(emu.annotations()).toEqual([]);
    expect(emu.writes().map((w) => `${w.method} ${w.kind} ${w.status} ${w.change}`)).toEqual([
      'POST tag 201 added',
      'POST tag 201 none',
      'POST attribute 201 added',
      'PUT attribute 200 updated',
      'DELETE tag 204 removed',
      'DELETE attribute 204 removed',
    ]);
  });

  it('refuses without a token, 404s unknown indicators, tags and attributes, and refuses malformed bodies', async () => {
    expect((await call('POST', `/api/indicators/${firstId}/tags`, [{ name: 'x' }])).status).toBe(401);
    const t = await token();
    expect((await call('POST', '/api/indicators/999999999/tags', [{ name: 'x' }], t)).status).toBe(404);
    expect((await call('DELETE', `/api/indicators/${firstId}/tags/12345`, undefined, t)).status).toBe(404);
    expect((await call('PUT', `/api/indicators/${firstId}/attributes/12345`, { value: 'v' }, t)).status).toBe(404);
    expect((await call('DELETE', `/api/indicators/${firstId}/attributes/12345`, undefined, t)).status).toBe(404);
    expect((await call('POST', `/api/indicators/${firstId}/tags`, '{not json', t)).status).toBe(400);
    const noName = await call('POST', `/api/indicators/${firstId}/tags`, [{ label: 'x' }], t);
    expect(noName.status).toBe(422);
    expect(noName.json).toEqual({ data: { errors: { '0.name': ['The 0.name field is required and must be a string.'] } } });
    expect((await call('POST', `/api/indicators/${firstId}/tags`, { name: 'x' }, t)).status).toBe(422);
    expect((await call('POST', `/api/indicators/${firstId}/attributes`, { name: 'Entra Block' }, t)).status).toBe(422);
    expect((await call('POST', `/api/indicators/${firstId}/attributes`, { name: 'x'.repeat(256), value: 'v' }, t)).status).toBe(422);
    expect((await call('PATCH', `/api/indicators/${firstId}/tags/1`, {}, t)).status).toBe(405);
    expect(emu.annotations()).toEqual([]);
    expect(emu.writes().every((w) => w.change === 'none')).toBe(true);
  });

  it('applies injected faults to the write endpoints (not logged as writes)', async () => {
    emu.addFault({ match: { method: 'POST', path: `/api/indicators/${firstId}/tags` }, status: 500, times: 1 });
    const t = await token();
    expect((await call('POST', `/api/indicators/${firstId}/tags`, [{ name: 'x' }], t)).status).toBe(500);
    expect((await call('POST', `/api/indicators/${firstId}/tags`, [{ name: 'x' }], t)).status).toBe(201);
    expect(emu.writes()).toHaveLength(1);
    expect(emu.requests().filter((r) => r.fault)).toHaveLength(1);
  });
});

describe('ThreatQWriter', () => {
  it('writes through 429 and 500 storms, re-authenticates on 401, and counts requests by status', async () => {
    const client = makeClient(emu);
    try {
      const writer = new ThreatQWriter(client);
      emu.addFault({ match: { method: 'POST', path: `/api/indicators/${firstId}/tags` }, status: 429, retryAfter: 0, times: 2 });
      emu.addFault({ match: { method: 'POST', path: `/api/indicators/${firstId}/attributes` }, status: 500, times: 2 });
      const tag = await writer.addTag(firstId, 'Blocked in Entra');
      emu.expireTokens();
      const attr = await writer.addAttribute(firstId, 'Entra Block', 'corp since 2024-05-01T10:00:00Z');
      if (tag === 'gone' || attr === 'gone') throw new Error('indicator gone');
      expect(await writer.updateAttribute(firstId, attr.id, 'corp since 2024-05-02T10:00:00Z')).toBe('updated');
      expect(emu.annotations()[0]).toMatchObject({ id: firstId, tags: [{ name: 'Blocked in Entra' }], attributes: [{ name: 'Entra Block', value: 'corp since 2024-05-02T10:00:00Z' }] });
      expect(await writer.removeTag(firstId, tag.id)).toBe('removed');
      expect(await writer.removeTag(firstId, tag.id)).toBe('gone');
      expect(await writer.removeAttribute(firstId, attr.id)).toBe('removed');
      expect(await writer.addTag(999999999, 'x')).toBe('gone');
      expect(writer.byMethodStatus).toEqual({ 'POST 201': 2, 'POST 404': 1, 'PUT 200': 1, 'DELETE 204': 2, 'DELETE 404': 1 });
      expect(emu.requests().filter((r) => r.fault).map((r) => r.status)).toEqual([429, 429, 500, 500]);
    } finally {
      client.close();
    }
  });

  it('fails a refused write with ERR_THREATQ_WRITE_REFUSED and paces every request', async () => {
    const client = makeClient(emu);
    try {
      let paced = 0;
      const writer = new ThreatQWriter(client, { beforeRequest: async () => void paced++ });
      const err = await writer.addTag(firstId, 'x'.repeat(300)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyncError);
      expect((err as SyncError).code).toBe('ERR_THREATQ_WRITE_REFUSED');
      expect((err as SyncError).message).toMatch(/HTTP 422 on POST \/api\/indicators\/\d+\/tags/);
      expect(writer.byMethodStatus).toEqual({ 'POST 422': 1 });
      expect(paced).toBe(1);
    } finally {
      client.close();
    }
  });
});
