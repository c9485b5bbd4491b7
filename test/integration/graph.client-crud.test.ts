/**
 * Graph client against the Graph emulator over real HTTPS, with the real @azure/identity credential
 * and a real Redis: CRUD of named locations and policies, paging, type filtering, keyword echo,
 * wholesale ipRanges replacement, trusted-location delete.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGraphClient } from '../../src/graph/graph-client.ts';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { policyMatchesBody } from '../../src/graph/graph-compare.ts';
import { sameCidrs } from '../../src/ranges/index.ts';
import type { GraphClient } from '../../src/graph/graph-types.ts';
import { blockPolicy, emulatorClient, emulatorTarget, graphLog } from '../fixtures/graph/graph-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let r: TestRedis;
let client: GraphClient;

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 }, pageSize: 2 });
  r = testRedis('graph-crud');
  client = emulatorClient(emu, r.client, r.prefix, { requestsPerSecond: 50 });
});
afterAll(async () => {
  await emu.close();
  await r.cleanup();
});
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 }, pageSize: 2 });
});

describe('named locations', () => {
  it('creates, reads, updates (ipRanges replaced wholesale) and deletes', async () => {
    const created = await client.createNamedLocation({ displayName: 'TQ Block', ipRanges: ['12.34.221.11/22', '2001:0db8:0:0:0:0:0:1/128'], isTrusted: false });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    // Echoed exactly as sent; equal after normalisation.
    expect(created.ipRanges).toEqual(['12.34.221.11/22', '2001:0db8:0:0:0:0:0:1/128']);
    expect(sameCidrs(created.ipRanges, ['12.34.220.0/22', '2001:db8::1/128'])).toBe(true);

    const got = await client.getNamedLocation(created.id);
    expect(got?.displayName).toBe('TQ Block');

    await client.updateNamedLocation(created.id, { displayName: 'TQ Block', ipRanges: ['198.51.100.0/24'], isTrusted: false });
    expect((await client.getNamedLocation(created.id))?.ipRanges).toEqual(['198.51.100.0/24']);
    const patch = graphLog(emu).find((e) => e.method === 'PATCH');
    expect(patch?.body).toMatchObject({ '@odata.type': '#microsoft.graph.ipNamedLocation', ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '198.51.100.0/24' }] });
    expect(patch?.status).toBe(204);

    await client.deleteNamedLocation(created.id);
    expect(await client.getNamedLocation(created.id)).toBeNull();
    expect(emu.state().namedLocations).toHaveLength(0);
    // Deleting again is harmless.
    await client.deleteNamedLocation(created.id);
  });

  it('lists across pages and keeps only IP named locations', async () => {
    emu.seed({
      namedLocations: [
        { '@odata.type': '#microsoft.graph.countryNamedLocation', displayName: 'Countries', countriesAndRegions: ['CA'] },
        ...[1, 2, 3, 4, 5].map((i) => ({ displayName: `Loc ${i}`, ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: `203.0.${i}.0/24` }] })),
      ],
    });
    const list = await client.listNamedLocations();
    expect(list.map((l) => l.displayName).sort()).toEqual(['Loc 1', 'Loc 2', 'Loc 3', 'Loc 4', 'Loc 5']);
    const gets = graphLog(emu).filter((e) => e.method === 'GET');
    expect(gets).toHaveLength(3); // 6 objects, page size 2
    expect(gets[1]?.path).toContain('$skiptoken=');
  });

  it('sets isTrusted false before deleting a trusted location', async () => {
    const loc = await client.createNamedLocation({ displayName: 'Trusted', ipRanges: ['192.0.2.0/24'], isTrusted: true });
    emu.clearRequests();
    await client.deleteNamedLocation(loc.id);
    const log = graphLog(emu).map((e) => `${e.method} ${e.status}`);
    // Consistent before destructive: three reads in a row agree the trust is gone before the DELETE.
    // … and after the DELETE, three reads in a row answer 404 before the delete counts as done.
    expect(log).toEqual(['GET 200', 'PATCH 204', 'GET 200', 'GET 200', 'GET 200', 'DELETE 204', 'GET 404', 'GET 404', 'GET 404']);
    expect(graphLog(emu)[1]?.body).toEqual({ '@odata.type': '#microsoft.graph.ipNamedLocation', isTrusted: false });
  });

  it('refuses a malformed CIDR before sending anything', async () => {
    await expect(client.createNamedLocation({ displayName: 'Bad', ipRanges: ['1.2.3.4'], isTrusted: false })).rejects.toMatchObject({
      code: 'ERR_GRAPH_INPUT',
      message: expect.stringContaining('"1.2.3.4" is not a CIDR'),
    });
    expect(graphLog(emu)).toHaveLength(0);
  });
});

describe('policies', () => {
  it('creates, reads, updates with the full body, and deletes; keywords compare case-insensitively', async () => {
    const loc = await client.createNamedLocation({ displayName: 'TQ Block', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    const body = blockPolicy(loc.id, { users: { includeUsers: ['none'] }, platforms: { includePlatforms: ['linux', 'windows'], excludePlatforms: [] } });
    const created = await client.createPolicy(body);
    expect(created.state).toBe('enabledForReportingButNotEnforced');
    expect(created.modifiedDateTime).toBeNull();
    // Graph filled the defaults and echoed keywords as sent; linux needs the Prefer header.
    expect(created.conditions.users).toEqual({ includeUsers: ['none'], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] });
    expect(created.conditions.platforms?.includePlatforms).toEqual(['linux', 'windows']);
    expect(policyMatchesBody(created, { ...body, conditions: { ...body.conditions, users: { includeUsers: ['None'] } } })).toBe(true);

    const updated = { ...body, state: 'enabled' as const, conditions: { ...body.conditions, platforms: undefined } };
    await client.updatePolicy(created.id, updated);
    const patch = graphLog(emu).find((e) => e.method === 'PATCH');
    expect(patch?.body).toMatchObject({ displayName: 'TQ Block policy', state: 'enabled', grantControls: { operator: 'OR', builtInControls: ['block'] } });
    const read = await client.getPolicy(created.id);
    expect(read?.state).toBe('enabled');
    expect(read && policyMatchesBody(read, updated)).toBe(true);

    expect((await client.listPolicies()).map((p) => p.id)).toEqual([created.id]);
    await client.deletePolicy(created.id);
    expect(await client.getPolicy(created.id)).toBeNull();
    await client.deleteNamedLocation(loc.id);
    expect(emu.state()).toMatchObject({ namedLocations: [], policies: [] });
  });

  it('sends Prefer: include-unknown-enum-members and reads the token tenant', async () => {
    expect(await client.tokenTenantId()).toBe(emu.tenants()[0]);
    const loc = await client.createNamedLocation({ displayName: 'L', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    await client.createPolicy(blockPolicy(loc.id, { platforms: { includePlatforms: ['linux'], excludePlatforms: [] } }));
    // Without the header the emulator would have refused `linux` (1007); it was stored as sent.
    expect((emu.state().policies[0] as any).conditions.platforms.includePlatforms).toEqual(['linux']);
    expect(client.stats.writes).toBeGreaterThanOrEqual(2);
    expect(client.stats.byMethodStatus['POST 201']).toBeGreaterThanOrEqual(2);
  });
});

describe('client certificate credential', () => {
  it('authenticates with certificatePath (ClientCertificateCredential) and reads the tenant', async () => {
    const pems = await generate([{ name: 'commonName', value: 'tq-entra test app' }], { keySize: 2048, algorithm: 'sha256' });
    const file = join(mkdtempSync(join(tmpdir(), 'g5-cert-')), 'app.pem');
    writeFileSync(file, `${pems.private}\n${pems.cert}`);
    const base = emulatorTarget(emu);
    const target = { ...base, clientSecret: undefined, certificatePath: file };
    const c = createGraphClient(target, { redis: r.client, prefix: r.prefix });
    expect(await c.tokenTenantId()).toBe(base.tenantId);
    expect(await c.listPolicies()).toEqual([]);
    const tokenRequest = emu.requests({ kind: 'token' }).find((e) => e.method === 'POST');
    expect(tokenRequest?.status).toBe(200);
  });
});
