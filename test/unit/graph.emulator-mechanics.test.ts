import { describe, expect, it } from 'vitest';
import { listPage, parseFilter } from '../../src/emulators/graph/collection-query.ts';
import { FaultInjector } from '../../src/emulators/graph/fault-injector.ts';
import { TenantStore } from '../../src/emulators/graph/tenant-store.ts';
import { TenantThrottle } from '../../src/emulators/graph/tenant-throttle.ts';

const throttle = { requestsPerSecond: 1, burst: 1, retryAfterSeconds: null };

describe('tenant throttle', () => {
  it('admits 1 request per second per tenant, burst 1', () => {
    const t = new TenantThrottle();
    expect(t.admit('a', 0, throttle)).toBe(true);
    expect(t.admit('a', 500, throttle)).toBe(false);
    expect(t.admit('b', 500, throttle)).toBe(true); // tenants are independent
    expect(t.admit('a', 1500, throttle)).toBe(true); // a full second after the refused one
  });
  it('a throttled request costs: retrying too soon keeps being refused', () => {
    const t = new TenantThrottle();
    t.admit('a', 0, throttle);
    expect(t.admit('a', 900, throttle)).toBe(false);
    expect(t.admit('a', 1100, throttle)).toBe(false); // only 200 ms since the refused request
    expect(t.admit('a', 2100, throttle)).toBe(true);
  });
  it('0 requests per second disables it', () => {
    const t = new TenantThrottle();
    for (let i = 0; i < 10; i++) expect(t.admit('a', i, { ...throttle, requestsPerSecond: 0 })).toBe(true);
  });
});

describe('replication store', () => {
  const delay100 = () => 100;
  it('new, changed and deleted objects become visible after their time', () => {
    const s = new TenantStore();
    s.put('namedLocations', 'x', { id: 'x', v: 1 }, 0);
    expect(s.settled('namedLocations', 'x', 50, delay100)).toBeUndefined();
    expect(s.current('namedLocations', 'x')).toEqual({ id: 'x', v: 1 });
    s.put('namedLocations', 'x', { id: 'x', v: 2 }, 100);
    expect(s.settled('namedLocations', 'x', 150, delay100)).toEqual({ id: 'x', v: 1 });
    expect(s.versions('namedLocations', 'x').map((v) => v.op)).toEqual(['create', 'update']);
    s.remove('namedLocations', 'x', 200, { id: 'x', v: 2 });
    expect(s.settled('namedLocations', 'x', 250, delay100)).toEqual({ id: 'x', v: 2 });
    expect(s.current('namedLocations', 'x')).toBeUndefined();
    expect(s.settled('namedLocations', 'x', 300, delay100)).toBeUndefined();
    expect(s.deletedItem('namedLocations', 'x')).toEqual({ value: { id: 'x', v: 2 }, deletedAt: 200 });
  });
  it('reads mix old and new only in the last part of the delay, deterministically per seed', () => {
    const seq = (seed: number, fraction: number) => {
      const s = new TenantStore();
      s.put('policies', 'p', { v: 1 }, Number.NEGATIVE_INFINITY);
      s.put('policies', 'p', { v: 2 }, 0);
      return Array.from({ length: 40 }, (_, i) => (s.read('policies', 'p', 10 + i, delay100, { fraction, seed }) as { v: number }).v);
    };
    // fraction 0.5: reads before 50 ms are all old
    expect(new Set(seq(1, 0.5))).toEqual(new Set([1]));
    const mixed = seq(1, 1);
    expect(new Set(mixed)).toEqual(new Set([1, 2]));
    expect(seq(1, 1)).toEqual(mixed); // same seed, same sequence
    expect(seq(2, 1)).not.toEqual(mixed);
  });
});

describe('fault injector', () => {
  it('fires matching rules in order, `times` times', () => {
    const f = new FaultInjector();
    f.add([{ method: 'POST', status: 503 }, { path: '/policies', status: 429, times: 2 }]);
    expect(f.take('GET', '/v1.0/identity/conditionalAccess/namedLocations')).toBeUndefined();
    expect(f.take('POST', '/x')?.status).toBe(503);
    expect(f.take('GET', '/v1.0/identity/conditionalAccess/policies')?.status).toBe(429);
    expect(f.take('GET', '/v1.0/identity/conditionalAccess/policies')?.status).toBe(429);
    expect(f.take('GET', '/v1.0/identity/conditionalAccess/policies')).toBeUndefined();
    expect(() => f.add([{ method: 'GET' }])).toThrow(/status, reset or delayMs/);
  });

  it("limits a rule and random faults to one tenant's requests when they name it", () => {
    const f = new FaultInjector();
    f.add([{ tenantId: 'A', status: 503 }]);
    expect(f.take('GET', '/x', 'b')).toBeUndefined();
    expect(f.take('GET', '/x', 'a')?.status).toBe(503);
    f.setRandom({ p429: 1, tenantId: 'tenant-a' });
    for (let i = 0; i < 20; i++) expect(f.take('GET', '/x', 'tenant-b')).toBeUndefined();
    expect(f.take('GET', '/x')).toBeUndefined();
    expect(f.take('GET', '/x', 'Tenant-A')?.status).toBe(429);
    expect(f.randomState()?.rolls).toBe(1);
    expect(() => f.setRandom({ p429: 0.3, tenantId: 7 as unknown as string })).toThrow(/tenantId must be a string/);
  });
});

describe('collection queries', () => {
  const items = [
    { id: 'b', '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: "O'Brien", createdDateTime: '2024-01-02T00:00:00.0000000Z' },
    { id: 'a', '@odata.type': '#microsoft.graph.countryNamedLocation', displayName: 'C', createdDateTime: '2024-01-01T00:00:00.0000000Z' },
    { id: 'c', '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'Z', createdDateTime: '2024-01-03T00:00:00.0000000Z' },
  ];
  const page = (query: string, pageSize = 2) =>
    listPage({ url: new URL(`https://h/v1.0/identity/conditionalAccess/namedLocations${query}`), items, pageSize, context: 'ctx', project: (x) => x });
  it('filters by displayName (quote escaping), isof and createdDateTime, with and/or', () => {
    const pick = (f: string) => items.filter(parseFilter(f) as (x: Record<string, unknown>) => boolean).map((x) => x.id);
    expect(pick("displayName eq 'O''Brien'")).toEqual(['b']);
    expect(pick("isof('microsoft.graph.ipNamedLocation')")).toEqual(['b', 'c']);
    expect(pick('createdDateTime ge 2024-01-02T00:00:00Z')).toEqual(['b', 'c']);
    expect(pick("displayName eq 'C' or displayName eq 'Z'")).toEqual(['a', 'c']);
    expect(pick("isof('microsoft.graph.ipNamedLocation') and displayName eq 'Z'")).toEqual(['c']);
    expect((parseFilter("startswith(displayName,'a')") as { status: number }).status).toBe(400);
  });
  it('pages with a nextLink that keeps the options, in creation order', () => {
    const first = page('?$select=displayName').body as any;
    expect(first.value.map((x: any) => x.id)).toEqual(['a', 'b']);
    expect(first.value[0]).toEqual({ '@odata.type': '#microsoft.graph.countryNamedLocation', id: 'a', displayName: 'C' });
    expect(first['@odata.nextLink']).toMatch(/\$select=displayName&\$skiptoken=/);
    const next = new URL(first['@odata.nextLink']);
    const second = page(next.search).body as any;
    expect(second.value.map((x: any) => x.id)).toEqual(['c']);
    expect(second['@odata.nextLink']).toBeUndefined();
    expect((page('?$top=1').body as any).value).toHaveLength(1);
    expect(page('?$top=0').status).toBe(400);
  });
});
