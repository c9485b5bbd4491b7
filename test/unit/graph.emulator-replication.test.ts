/**
 * The Graph emulator's eventual consistency, rule by rule (issue 15): every precondition is evaluated
 * on replicated state, reads mix old and new while a change replicates, unknown properties are
 * refused, deleted objects go to deletedItems. Driven through the resource routes with the
 * emulator's own clock (`now`), so no test sleeps.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, type GraphEmulatorConfig } from '../../src/emulators/graph/emulator-options.ts';
import { handleDeletedItems, handleResource } from '../../src/emulators/graph/resource-routes.ts';
import { TenantStore, type Kind } from '../../src/emulators/graph/tenant-store.ts';

const IP = '#microsoft.graph.ipNamedLocation';
const range = (cidr: string) => ({ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: cidr });
const location = (name: string, isTrusted = false) => ({ '@odata.type': IP, displayName: name, isTrusted, ipRanges: [range('203.0.113.0/24')] });
const policy = (locationId: string) => ({
  displayName: 'Block',
  state: 'enabledForReportingButNotEnforced',
  conditions: {
    clientAppTypes: ['all'],
    applications: { includeApplications: ['All'] },
    users: { includeUsers: ['None'] },
    locations: { includeLocations: [locationId] },
  },
  grantControls: { operator: 'OR', builtInControls: ['block'] },
});

type Patch = Parameters<typeof mergeConfig>[1];

/** A tenant behind the resource routes, with a clock the test moves. */
function tenant(patch: Patch = {}) {
  const store = new TenantStore();
  let now = 1_700_000_000_000;
  let cfg: GraphEmulatorConfig = mergeConfig(DEFAULT_CONFIG, patch);
  const ctx = (kind: Kind, query = '') => ({ store, cfg, now, url: new URL(`https://emu.test/v1.0/identity/conditionalAccess/${kind}${query}`), evolvable: false });
  const call = (kind: Kind, method: string, id?: string, body?: unknown) => {
    const out = handleResource(kind, method, id, body, ctx(kind));
    return { status: out.status, body: out.body as any };
  };
  return {
    store,
    /** GET a collection page with query options (e.g. `?$top=2`, or a nextLink's search). */
    page: (kind: Kind, query: string) => handleResource(kind, 'GET', undefined, undefined, ctx(kind, query)).body as any,
    nl: (method: string, id?: string, body?: unknown) => call('namedLocations', method, id, body),
    pol: (method: string, id?: string, body?: unknown) => call('policies', method, id, body),
    deleted: (kind: Kind, method: string, id?: string, action?: string) => {
      const out = handleDeletedItems(kind, method, id, action, ctx(kind));
      return { status: out.status, body: out.body as any };
    },
    advance: (ms: number) => {
      now += ms;
    },
    configure: (p: Patch) => {
      cfg = mergeConfig(cfg, p);
    },
  };
}

/** Every rule at 0 except the ones given (and no mixed reads unless asked). */
const only = (rules: Patch['replicationRules'], extra: Patch = {}): Patch => ({ replicationDelayMs: 0, replicationRules: rules, replicationMixedFraction: 0, ...extra });

describe('defaults', () => {
  it('replicate at once: delete right after un-trust and after dropping the reference succeeds', () => {
    expect(DEFAULT_CONFIG.replicationDelayMs).toBe(0);
    const t = tenant();
    const loc = t.nl('POST', undefined, location('L', true)).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    expect(t.nl('GET', loc).status).toBe(200);
    expect(t.pol('PATCH', p, { conditions: { locations: { includeLocations: ['All'], excludeLocations: [] } } }).status).toBe(204);
    expect(t.nl('PATCH', loc, { '@odata.type': IP, isTrusted: false }).status).toBe(204);
    expect(t.nl('DELETE', loc).status).toBe(204);
  });
});

describe('preconditions on replicated state', () => {
  it('trustedDelete: a location un-trusted less than the delay ago is still trusted for DELETE (NL8)', () => {
    const t = tenant(only({ trustedDelete: 5000 }));
    const loc = t.nl('POST', undefined, location('L', true)).body.id;
    expect(t.nl('PATCH', loc, { '@odata.type': IP, isTrusted: false }).status).toBe(204);
    expect(t.nl('GET', loc).body.isTrusted).toBe(false); // a read already agrees…
    const refused = t.nl('DELETE', loc); // …the precondition does not
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('BadRequest');
    expect(refused.body.error.message).toMatch(/NL8/);
    t.advance(4999);
    expect(t.nl('DELETE', loc).status).toBe(400);
    t.advance(1);
    expect(t.nl('DELETE', loc).status).toBe(204);
  });

  it('trustedDelete: trusting again is refused at once (the latest write counts too)', () => {
    const t = tenant(only({ trustedDelete: 5000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    expect(t.nl('PATCH', loc, { '@odata.type': IP, isTrusted: true }).status).toBe(204);
    expect(t.nl('DELETE', loc).status).toBe(400);
  });

  it('referencedDelete: a policy PATCH that dropped the reference has to replicate before the location can go (NL9)', () => {
    const t = tenant(only({ referencedDelete: 3000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const other = t.nl('POST', undefined, location('M')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    expect(t.pol('PATCH', p, { conditions: { locations: { includeLocations: [other] } } }).status).toBe(204);
    const refused = t.nl('DELETE', loc);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/NL9/);
    t.advance(2999);
    expect(t.nl('DELETE', loc).status).toBe(400);
    t.advance(1);
    expect(t.nl('DELETE', loc).status).toBe(204);
    expect(t.nl('DELETE', other).status).toBe(400); // still referenced, however long we wait
  });

  it('referencedDelete: a location stays referenced until the policy’s DELETE has replicated', () => {
    const t = tenant(only({ referencedDelete: 3000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    expect(t.pol('DELETE', p).status).toBe(204);
    expect(t.pol('GET', p).status).toBe(404); // reads already agree (readAfterDelete 0)
    expect(t.nl('DELETE', loc).status).toBe(400);
    t.advance(3000);
    expect(t.nl('DELETE', loc).status).toBe(204);
  });

  it('readAfterCreate: GET is 404 and lists leave a new object out until replicated', () => {
    const t = tenant(only({ readAfterCreate: 2000 }));
    const loc = t.nl('POST', undefined, location('L'));
    expect(loc.status).toBe(201);
    expect(t.nl('GET', loc.body.id).status).toBe(404);
    expect(t.nl('GET').body.value).toEqual([]);
    t.advance(2000);
    expect(t.nl('GET', loc.body.id).status).toBe(200);
    expect(t.nl('GET').body.value.map((x: any) => x.id)).toEqual([loc.body.id]);
  });

  it('writeAfterCreate: PATCH and DELETE right after create are 404 until replicated', () => {
    const t = tenant(only({ writeAfterCreate: 2000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    const patched = t.nl('PATCH', loc, { '@odata.type': IP, displayName: 'L2' });
    expect(patched.status).toBe(404);
    expect(patched.body.error.code).toBe('ResourceNotFound');
    expect(t.pol('PATCH', p, { state: 'disabled' }).status).toBe(404);
    expect(t.pol('DELETE', p).status).toBe(404);
    t.advance(2000);
    expect(t.nl('PATCH', loc, { '@odata.type': IP, displayName: 'L2' }).status).toBe(204);
    expect(t.pol('DELETE', p).status).toBe(204);
  });

  it('referenceAfterCreate: a policy naming a location that has not replicated gets 1040', () => {
    const t = tenant(only({ referenceAfterCreate: 2000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const refused = t.pol('POST', undefined, policy(loc));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(`1040: NamedLocation with id ${loc} does not exist in the directory.`);
    t.advance(2000);
    expect(t.pol('POST', undefined, policy(loc)).status).toBe(201);
  });

  it('a deleted location cannot be referenced even while reads still show it', () => {
    const t = tenant(only({ readAfterDelete: 5000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    expect(t.nl('DELETE', loc).status).toBe(204);
    expect(t.nl('GET', loc).status).toBe(200);
    expect(t.pol('POST', undefined, policy(loc)).status).toBe(400);
  });

  it('rules switch at run time; replicationDelayMs is every rule’s default', () => {
    const t = tenant({ replicationDelayMs: 1000, replicationMixedFraction: 0 });
    const loc = t.nl('POST', undefined, location('L', true)).body.id;
    expect(t.nl('GET', loc).status).toBe(404);
    t.advance(1000);
    t.configure({ replicationRules: { trustedDelete: 10_000 } });
    t.nl('PATCH', loc, { '@odata.type': IP, isTrusted: false });
    t.advance(1000);
    expect(t.nl('GET', loc).body.isTrusted).toBe(false);
    expect(t.nl('DELETE', loc).status).toBe(400);
    t.configure({ replicationRules: { trustedDelete: null as unknown as number } }); // back to the default
    expect(t.nl('DELETE', loc).status).toBe(204);
    expect(() => mergeConfig(DEFAULT_CONFIG, { replicationRules: { trustedDelet: 5 } as never })).toThrow(/unknown replication rule "trustedDelet"/);
    expect(() => mergeConfig(DEFAULT_CONFIG, { replicationRules: { trustedDelete: -1 } })).toThrow(/>= 0/);
  });
});

describe('reads during replication', () => {
  /** GET the location every 20 ms across a 1 s replication window; the sequence of what each read saw. */
  function readsAfterChange(seed: number, change: 'update' | 'delete') {
    const t = tenant({ replicationDelayMs: 1000, replicationMixedFraction: 1, replicationSeed: seed });
    t.store.put('namedLocations', 'x', { ...location('Old'), id: 'x' }, Number.NEGATIVE_INFINITY, 'create');
    if (change === 'update') expect(t.nl('PATCH', 'x', { '@odata.type': IP, displayName: 'New' }).status).toBe(204);
    else expect(t.nl('DELETE', 'x').status).toBe(204);
    const seen: string[] = [];
    for (let i = 0; i < 49; i++) {
      t.advance(20);
      const r = t.nl('GET', 'x');
      seen.push(r.status === 404 ? '404' : r.body.displayName);
    }
    t.advance(100);
    const after = Array.from({ length: 5 }, () => t.nl('GET', 'x')).map((r) => (r.status === 404 ? '404' : r.body.displayName));
    return { seen, after };
  }

  it('after a change reads return old and new for a while, then only new; reproducible per seed', () => {
    const a = readsAfterChange(7, 'update');
    expect(new Set(a.seen)).toEqual(new Set(['Old', 'New']));
    expect(a.after).toEqual(['New', 'New', 'New', 'New', 'New']);
    expect(readsAfterChange(7, 'update').seen).toEqual(a.seen);
    expect(readsAfterChange(8, 'update').seen).not.toEqual(a.seen);
  });

  it('after a delete reads are a mixture of 404 and 200 until replication completes', () => {
    const a = readsAfterChange(7, 'delete');
    expect(new Set(a.seen)).toEqual(new Set(['Old', '404']));
    expect(a.after).toEqual(['404', '404', '404', '404', '404']);
  });

  it('with the default mixed fraction (0.5) reads in the first half of the delay are all old', () => {
    const t = tenant({ replicationDelayMs: 1000 });
    t.store.put('namedLocations', 'x', { ...location('Old'), id: 'x' }, Number.NEGATIVE_INFINITY, 'create');
    t.nl('PATCH', 'x', { '@odata.type': IP, displayName: 'New' });
    for (let i = 0; i < 24; i++) {
      t.advance(20);
      expect(t.nl('GET', 'x').body.displayName).toBe('Old');
    }
  });
});

describe('unknown properties', () => {
  it('a misspelled or undeclared property in a POST/PATCH body is a 400 BadRequest naming it', () => {
    const t = tenant();
    const bad = t.nl('POST', undefined, { ...location('L'), isTrustd: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BadRequest');
    expect(bad.body.error.message).toContain("'isTrustd'");
    expect(t.store.listCurrent('namedLocations')).toEqual([]);
    expect(t.nl('POST', undefined, { ...location('L'), ipRanges: [{ ...range('203.0.113.0/24'), cidr: 'x' }] }).status).toBe(400);
    const loc = t.nl('POST', undefined, location('L')).body.id;
    expect(t.nl('PATCH', loc, { '@odata.type': IP, countriesAndRegions: ['CA'] }).status).toBe(400);
    const p = policy(loc);
    expect(t.pol('POST', undefined, { ...p, conditions: { ...p.conditions, locations: { includeLocation: [loc] } } }).body.error.message).toContain("'includeLocation'");
    expect(t.pol('POST', undefined, { ...p, grantControl: p.grantControls }).status).toBe(400);
    const created = t.pol('POST', undefined, p);
    expect(created.status).toBe(201);
    expect(t.pol('PATCH', created.body.id, { conditions: { users: { includeUser: ['All'] } } }).status).toBe(400);
    expect(t.pol('PATCH', created.body.id, { state: 'disabled', colour: 'red' }).status).toBe(400);
  });

  it('everything Graph echoes, and @odata annotations, are accepted back', () => {
    const t = tenant();
    const loc = t.nl('POST', undefined, location('L')).body;
    const { '@odata.context': _c, ...echoedLoc } = loc;
    expect(t.nl('PATCH', loc.id, echoedLoc).status).toBe(204);
    const p = t.pol('POST', undefined, { '@odata.type': '#microsoft.graph.conditionalAccessPolicy', ...policy(loc.id) }).body;
    const { '@odata.context': _d, ...echoed } = t.pol('GET', p.id).body;
    expect(t.pol('PATCH', p.id, { ...echoed, 'state@odata.type': '#microsoft.graph.conditionalAccessPolicyState' }).status).toBe(204);
  });

  it('rejectUnknownProperties: false accepts them (and drops nothing)', () => {
    const t = tenant({ rejectUnknownProperties: false });
    expect(t.nl('POST', undefined, { ...location('L'), isTrustd: true }).status).toBe(201);
  });
});

describe('soft delete', () => {
  it('a deleted policy and location are listed in deletedItems with deletedDateTime, can be read, restored and purged', () => {
    const t = tenant();
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    expect(t.deleted('policies', 'GET').body.value).toEqual([]);
    expect(t.pol('DELETE', p).status).toBe(204);
    expect(t.pol('GET', p).status).toBe(404);
    const listed = t.deleted('policies', 'GET').body.value;
    expect(listed.map((x: any) => x.id)).toEqual([p]);
    expect(listed[0]).toMatchObject({ displayName: 'Block', deletedDateTime: expect.stringMatching(/^\d{4}-.*Z$/) });
    expect(t.deleted('policies', 'GET', p).body).toMatchObject({ id: p, displayName: 'Block' });
    expect(t.nl('DELETE', loc).status).toBe(204);
    expect(t.deleted('namedLocations', 'GET').body.value.map((x: any) => x.id)).toEqual([loc]);
    // restore the location, then the policy that names it
    expect(t.deleted('namedLocations', 'POST', loc, 'restore').status).toBe(200);
    expect(t.nl('GET', loc).status).toBe(200);
    const restored = t.deleted('policies', 'POST', p, 'restore');
    expect(restored.status).toBe(200);
    expect(restored.body.deletedDateTime).toBeUndefined();
    expect(t.pol('GET', p).status).toBe(200);
    expect(t.deleted('policies', 'GET').body.value).toEqual([]);
    // purge
    t.pol('DELETE', p);
    expect(t.deleted('policies', 'DELETE', p).status).toBe(204);
    expect(t.deleted('policies', 'GET').body.value).toEqual([]);
    expect(t.deleted('policies', 'GET', p).status).toBe(404);
  });

  it('a delete appears in deletedItems only once it has replicated', () => {
    const t = tenant(only({ readAfterDelete: 1000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    t.nl('DELETE', loc);
    expect(t.deleted('namedLocations', 'GET').body.value).toEqual([]);
    t.advance(1000);
    expect(t.deleted('namedLocations', 'GET').body.value).toHaveLength(1);
  });
});

describe('limits on replicated state (NL7, P9)', () => {
  it('countAfterDelete: a location deleted less than the delay ago still counts toward the tenant limit (NL7)', () => {
    const t = tenant(only({ countAfterDelete: 3000 }, { maxLocations: 2 }));
    const a = t.nl('POST', undefined, location('A')).body.id;
    expect(t.nl('POST', undefined, location('B')).status).toBe(201);
    expect(t.nl('DELETE', a).status).toBe(204);
    const refused = t.nl('POST', undefined, location('C'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^EMULATOR: NL7/);
    t.advance(2999);
    expect(t.nl('POST', undefined, location('C')).status).toBe(400);
    t.advance(1);
    expect(t.nl('POST', undefined, location('C')).status).toBe(201);
    expect(t.nl('POST', undefined, location('D')).status).toBe(400); // the limit itself still holds
  });

  it('countAfterDelete: a policy deleted less than the delay ago still counts toward the tenant limit (P9)', () => {
    const t = tenant(only({ countAfterDelete: 3000 }, { maxPolicies: 1 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    expect(t.pol('DELETE', p).status).toBe(204);
    const refused = t.pol('POST', undefined, policy(loc));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^EMULATOR: P9/);
    t.advance(3000);
    expect(t.pol('POST', undefined, policy(loc)).status).toBe(201);
  });

  it('a restore is a create: it is refused when the tenant is full, and does not count the restored object twice', () => {
    const t = tenant(only({ countAfterDelete: 3000 }, { maxLocations: 1 }));
    const a = t.nl('POST', undefined, location('A')).body.id;
    t.nl('DELETE', a);
    expect(t.deleted('namedLocations', 'POST', a, 'restore').status).toBe(200); // A still counts, but it is A that comes back
    t.nl('DELETE', a);
    t.advance(3000);
    expect(t.nl('POST', undefined, location('B')).status).toBe(201);
    const refused = t.deleted('namedLocations', 'POST', a, 'restore');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^EMULATOR: NL7/);
    expect(t.deleted('namedLocations', 'GET').body.value.map((x: any) => x.id)).toEqual([a]); // still in deleted items
  });
});

describe('restoring a policy (P3 on restore)', () => {
  /** A location L, a policy P naming it, P deleted, then L deleted (allowed: only a deleted policy names it). */
  function deletedPolicyAndLocation(patch: Patch = {}) {
    const t = tenant(patch);
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    expect(t.pol('DELETE', p).status).toBe(204);
    expect(t.nl('DELETE', loc).status).toBe(204);
    return { t, loc, p };
  }

  it('a policy whose location is deleted is not restored: 400 with the 1040 error of a policy write', () => {
    const { t, loc, p } = deletedPolicyAndLocation();
    const refused = t.deleted('policies', 'POST', p, 'restore');
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('BadRequest');
    expect(refused.body.error.message).toBe(`1040: NamedLocation with id ${loc} does not exist in the directory.`);
    expect(t.pol('GET', p).status).toBe(404);
    expect(t.deleted('policies', 'GET').body.value.map((x: any) => x.id)).toEqual([p]); // still restorable later
  });

  it('restoring the location first works once the location’s restore has replicated (referenceAfterCreate)', () => {
    const { t, loc, p } = deletedPolicyAndLocation(only({}));
    t.configure({ replicationRules: { referenceAfterCreate: 2000 } });
    expect(t.deleted('namedLocations', 'POST', loc, 'restore').status).toBe(200);
    expect(t.deleted('policies', 'POST', p, 'restore').status).toBe(400);
    t.advance(2000);
    expect(t.deleted('policies', 'POST', p, 'restore').status).toBe(200);
    expect(t.pol('GET', p).body.conditions.locations.includeLocations).toEqual([loc]);
  });

  it('a policy whose location was purged from deleted items can never be restored', () => {
    const { t, loc, p } = deletedPolicyAndLocation();
    expect(t.deleted('namedLocations', 'DELETE', loc).status).toBe(204);
    expect(t.deleted('policies', 'POST', p, 'restore').body.error.message).toMatch(/^1040: /);
  });

  it('referencedDelete: a location named only by a deleted policy can go once the policy’s delete has replicated [I]', () => {
    const t = tenant(only({ referencedDelete: 2000 }));
    const loc = t.nl('POST', undefined, location('L')).body.id;
    const p = t.pol('POST', undefined, policy(loc)).body.id;
    t.pol('DELETE', p);
    expect(t.nl('DELETE', loc).status).toBe(400);
    t.advance(2000);
    expect(t.deleted('policies', 'GET').body.value.map((x: any) => x.id)).toEqual([p]);
    expect(t.nl('DELETE', loc).status).toBe(204);
  });

  it('writeAfterCreate: a restored location is 404 to PATCH and DELETE until the restore has replicated', () => {
    const t = tenant(only({ writeAfterCreate: 1500 }));
    t.store.put('namedLocations', 'x', { ...location('X'), id: 'x' }, Number.NEGATIVE_INFINITY, 'create');
    expect(t.nl('DELETE', 'x').status).toBe(204);
    expect(t.deleted('namedLocations', 'POST', 'x', 'restore').status).toBe(200);
    expect(t.nl('PATCH', 'x', { '@odata.type': IP, displayName: 'Y' }).status).toBe(404);
    expect(t.nl('DELETE', 'x').status).toBe(404);
    t.advance(1500);
    expect(t.nl('PATCH', 'x', { '@odata.type': IP, displayName: 'Y' }).status).toBe(204);
  });
});

describe('list paging on replicated state', () => {
  it('each page is cut from the replicated view at its own request: a delete between pages shifts the offset (EMULATOR:)', () => {
    const t = tenant(only({}));
    for (const n of ['A', 'B', 'C', 'D']) {
      t.store.put('namedLocations', n.toLowerCase(), { ...location(n), id: n.toLowerCase(), createdDateTime: `2024-01-0${'ABCD'.indexOf(n) + 1}T00:00:00.0000000Z` }, Number.NEGATIVE_INFINITY, 'create');
    }
    const first = t.page('namedLocations', '?$top=2');
    expect(first.value.map((x: any) => x.displayName)).toEqual(['A', 'B']);
    expect(t.nl('DELETE', 'a').status).toBe(204);
    const next = new URL(first['@odata.nextLink']);
    const second = t.page('namedLocations', next.search);
    expect(second.value.map((x: any) => x.displayName)).toEqual(['D']); // C was never listed: no snapshot across pages
    expect(second['@odata.nextLink']).toBeUndefined();
  });

  it('a new object enters the pages only once its creation has replicated (readAfterCreate)', () => {
    const t = tenant(only({ readAfterCreate: 1000 }));
    const id = t.nl('POST', undefined, location('N')).body.id;
    expect(t.page('namedLocations', '?$top=1').value).toEqual([]);
    expect(t.page('namedLocations', `?$filter=displayName eq 'N'`).value).toEqual([]);
    t.advance(1000);
    expect(t.page('namedLocations', `?$filter=displayName eq 'N'`).value.map((x: any) => x.id)).toEqual([id]);
  });
});

describe('preconditions hold on every replica: states still replicating count too', () => {
  /** Objects seeded as replicated long ago. */
  function seeded(patch: Patch) {
    const t = tenant(patch);
    for (const id of ['l', 'a']) t.store.put('namedLocations', id, { ...location(id.toUpperCase()), id }, Number.NEGATIVE_INFINITY, 'create');
    t.store.put('policies', 'p', { ...policy('a'), id: 'p' }, Number.NEGATIVE_INFINITY, 'create');
    return t;
  }

  it('trustedDelete: trusted and un-trusted again a moment ago is still trusted for DELETE (NL8)', () => {
    const t = seeded(only({ trustedDelete: 5000 }));
    expect(t.nl('PATCH', 'l', { '@odata.type': IP, isTrusted: true }).status).toBe(204);
    t.advance(100);
    expect(t.nl('PATCH', 'l', { '@odata.type': IP, isTrusted: false }).status).toBe(204);
    t.advance(100);
    expect(t.nl('DELETE', 'l').body.error.message).toMatch(/NL8/); // latest and replicated are untrusted; a replica may be trusted
    t.advance(4900);
    expect(t.nl('DELETE', 'l').status).toBe(204);
  });

  it('referencedDelete: a reference added and dropped again a moment ago still blocks the DELETE (NL9)', () => {
    const t = seeded(only({ referencedDelete: 5000 }));
    const l = t.nl('POST', undefined, location('L2')).body.id;
    expect(t.pol('PATCH', 'p', { conditions: { locations: { includeLocations: [l] } } }).status).toBe(204);
    t.advance(100);
    expect(t.pol('PATCH', 'p', { conditions: { locations: { includeLocations: ['All'] } } }).status).toBe(204);
    t.advance(100);
    expect(t.nl('DELETE', l).body.error.message).toMatch(/NL9/);
    t.advance(4900);
    expect(t.nl('DELETE', l).status).toBe(204);
  });

  it('referenceAfterCreate: a location deleted and restored a moment ago may still be deleted on a replica (P3, 1040)', () => {
    const t = tenant(only({ referenceAfterCreate: 5000 }));
    const loc = '11111111-1111-4111-8111-111111111111';
    t.store.put('namedLocations', loc, { ...location('L'), id: loc }, Number.NEGATIVE_INFINITY, 'create'); // replicated long ago
    expect(t.nl('DELETE', loc).status).toBe(204);
    expect(t.deleted('namedLocations', 'POST', loc, 'restore').status).toBe(200);
    t.advance(10);
    expect(t.pol('POST', undefined, policy(loc)).body.error.message).toBe(`1040: NamedLocation with id ${loc} does not exist in the directory.`);
    t.advance(5000);
    expect(t.pol('POST', undefined, policy(loc)).status).toBe(201);
  });
});
