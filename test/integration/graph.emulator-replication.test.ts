/**
 * The Graph emulator's replication rules, unknown-property refusal and soft delete over real HTTPS:
 * rules switched at run time through `PATCH /__emulator/config`, time moved by the emulator's own
 * clock (the `clock` option), `deletedItems` routes, and `tq-entra emulate graph
 * --replication-delay-ms/--replication-rule`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import got, { type OptionsInit } from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { WRITER } from '../fixtures/graph/graph-target.ts';
import { BIN } from '../helpers/run-cli.ts';

let emu: GraphEmulator;
let now = 1_700_000_000_000;
const NL = '/v1.0/identity/conditionalAccess/namedLocations';
const POL = '/v1.0/identity/conditionalAccess/policies';
const DELETED = '/v1.0/identity/conditionalAccess/deletedItems';
const IP = '#microsoft.graph.ipNamedLocation';

function http(path: string, options: OptionsInit = {}) {
  return got(`${emu.graphBaseUrl}${path}`, {
    throwHttpErrors: false,
    retry: { limit: 0 },
    https: { certificateAuthority: readFileSync(emu.caFile, 'utf8') },
    ...options,
  } as OptionsInit & { isStream?: false; resolveBodyOnly?: false; responseType?: 'text' });
}

let bearer = '';
async function call(method: string, path: string, body?: unknown) {
  if (!bearer) {
    const res = await http(`/${WRITER.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: WRITER.clientSecret!, scope: `${emu.graphBaseUrl}/.default` },
    });
    bearer = JSON.parse(String(res.body)).access_token;
  }
  const res = await http(path, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = String(res.body);
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

const config = async (patch: unknown) => {
  const res = await http('/__emulator/config', { method: 'PATCH', json: patch });
  return { status: res.statusCode, body: JSON.parse(String(res.body)) };
};
const location = (name: string, isTrusted = false) => ({
  '@odata.type': IP,
  displayName: name,
  isTrusted,
  ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.0/24' }],
});
const policy = (locationId: string) => ({
  displayName: 'Block',
  state: 'enabledForReportingButNotEnforced',
  conditions: { clientAppTypes: ['all'], applications: { includeApplications: ['All'] }, users: { includeUsers: ['None'] }, locations: { includeLocations: [locationId] } },
  grantControls: { operator: 'OR', builtInControls: ['block'] },
});

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 }, clock: () => now });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
});

describe('replication rules over HTTP', () => {
  it('control routes switch per-rule delays at run time; an unknown rule is a 400', async () => {
    const set = await config({ replicationRules: { trustedDelete: 5000, referencedDelete: 3000 }, replicationMixedFraction: 0 });
    expect(set.status).toBe(200);
    expect(set.body.config).toMatchObject({ replicationDelayMs: 0, replicationRules: { trustedDelete: 5000, referencedDelete: 3000 } });
    const bad = await config({ replicationRules: { trustDelete: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('unknown replication rule "trustDelete"');

    // Shrinking a sharded target: un-trust, drop from the policy, delete.
    const loc = (await call('POST', NL, location('Shard (2)', true))).body.id;
    const keep = (await call('POST', NL, location('Shard'))).body.id;
    const p = (await call('POST', POL, policy(loc))).body.id;
    expect((await call('PATCH', `${POL}/${p}`, { conditions: { locations: { includeLocations: [keep] } } })).status).toBe(204);
    expect((await call('PATCH', `${NL}/${loc}`, { '@odata.type': IP, isTrusted: false })).status).toBe(204);
    expect((await call('GET', `${NL}/${loc}`)).body.isTrusted).toBe(false);
    const first = await call('DELETE', `${NL}/${loc}`);
    expect(first.status).toBe(400);
    expect(first.body.error.code).toBe('BadRequest');
    now += 3000; // the policy change has replicated, the un-trust has not
    expect((await call('DELETE', `${NL}/${loc}`)).body.error.message).toMatch(/NL8/);
    now += 2000;
    expect((await call('DELETE', `${NL}/${loc}`)).status).toBe(204);
    expect(emu.state().namedLocations.map((l) => l.id)).toEqual([keep]);
  });

  it('GET right after create is 404, PATCH right after create is 404, a policy naming it gets 1040', async () => {
    await config({ replicationDelayMs: 2000, replicationMixedFraction: 0 });
    const loc = (await call('POST', NL, location('Fresh'))).body.id;
    expect((await call('GET', `${NL}/${loc}`)).status).toBe(404);
    expect((await call('GET', NL)).body.value).toEqual([]);
    expect((await call('PATCH', `${NL}/${loc}`, { '@odata.type': IP, displayName: 'Renamed' })).status).toBe(404);
    expect((await call('POST', POL, policy(loc))).body.error.message).toMatch(/^1040: /);
    now += 2000;
    expect((await call('GET', `${NL}/${loc}`)).status).toBe(200);
    expect((await call('PATCH', `${NL}/${loc}`, { '@odata.type': IP, displayName: 'Renamed' })).status).toBe(204);
    expect((await call('POST', POL, policy(loc))).status).toBe(201);
  });

  it('after a delete, reads are a seeded mixture of 404 and 200 until replicated', async () => {
    const run = async (seed: number) => {
      emu.reset();
      emu.configure({ throttle: { requestsPerSecond: 0 }, replicationDelayMs: 1000, replicationMixedFraction: 1, replicationSeed: seed });
      const { namedLocations: [id] } = emu.seed({ namedLocations: [{ ...location('Gone'), id: '7d0c2a51-0000-4000-8000-000000000001' }] }); // same object, same reads: same answers
      expect((await call('DELETE', `${NL}/${id}`)).status).toBe(204);
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) {
        now += 40;
        seen.push((await call('GET', `${NL}/${id}`)).status);
      }
      now += 1000;
      seen.push((await call('GET', `${NL}/${id}`)).status);
      return seen;
    };
    const a = await run(3);
    expect(new Set(a.slice(0, -1))).toEqual(new Set([200, 404]));
    expect(a.at(-1)).toBe(404);
    expect(await run(3)).toEqual(a);
  });
});

describe('unknown properties over HTTP', () => {
  it('POST and PATCH with a misspelled property are 400 BadRequest and change nothing', async () => {
    const bad = await call('POST', NL, { ...location('L'), isTrustd: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'BadRequest' });
    expect(bad.body.error.message).toContain("'isTrustd'");
    const loc = (await call('POST', NL, location('L'))).body.id;
    const p = (await call('POST', POL, policy(loc))).body.id;
    const patch = await call('PATCH', `${POL}/${p}`, { conditions: { locations: { excludeLocation: [loc] } } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.message).toContain("'excludeLocation'");
    expect(emu.state().policies[0]?.['conditions']).toMatchObject({ locations: { includeLocations: [loc], excludeLocations: [] } });
  });
});

describe('soft delete over HTTP', () => {
  it('a deleted policy is listed under deletedItems/policies and can be restored', async () => {
    const loc = (await call('POST', NL, location('L'))).body.id;
    const p = (await call('POST', POL, policy(loc))).body.id;
    expect((await call('DELETE', `${POL}/${p}`)).status).toBe(204);
    const listed = await call('GET', `${DELETED}/policies`);
    expect(listed.status).toBe(200);
    expect(listed.body['@odata.context']).toContain('deletedItems/policies');
    expect(listed.body.value).toEqual([expect.objectContaining({ id: p, displayName: 'Block', deletedDateTime: expect.any(String) })]);
    expect((await call('GET', `${DELETED}/policies/${p}`)).status).toBe(200);
    expect((await call('DELETE', `${NL}/${loc}`)).status).toBe(204);
    expect((await call('GET', `${DELETED}/namedLocations`)).body.value.map((x: any) => x.id)).toEqual([loc]);
    expect((await call('POST', `${DELETED}/namedLocations/${loc}/restore`)).status).toBe(200);
    expect((await call('POST', `${DELETED}/policies/${p}/microsoft.graph.restore`)).status).toBe(200);
    expect((await call('GET', `${POL}/${p}`)).status).toBe(200);
    expect((await call('GET', `${DELETED}/policies`)).body.value).toEqual([]);
  });
});

describe('tq-entra emulate graph', () => {
  it('--replication-delay-ms and --replication-rule set the delays; a misspelled rule exits 2', async () => {
    const child = spawn(process.execPath, [BIN, 'emulate', 'graph', '--port', '0', '--replication-delay-ms', '250', '--replication-rule', 'trustedDelete=5000,referencedDelete=4000', '--replication-rule', '{"readAfterCreate": 100, "countAfterDelete": 3000}'], {
      env: { ...process.env, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no summary in time; got: ${out}`)), 20_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('Controls:')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(out).toMatch(/Replication:\s+250 ms; trustedDelete 5000 ms, referencedDelete 4000 ms, readAfterCreate 100 ms, countAfterDelete 3000 ms/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const bad = spawn(process.execPath, [BIN, 'emulate', 'graph', '--replication-rule', 'trustDelete=5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    expect(await new Promise<number | null>((resolve) => bad.on('close', resolve))).toBe(2);
    expect(err).toContain('unknown rule "trustDelete"');
  });
});
