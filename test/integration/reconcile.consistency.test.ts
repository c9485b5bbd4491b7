/**
 * Consistent before destructive (invariant 9), idempotent creates (invariant 6) and request economy
 * (invariant 4) against the Graph emulator over HTTPS with replication delays per rule: shrinking a
 * sharded target converges in one run (no emptied location left, no unrecoverable 400), a trusted
 * target is un-trusted and deleted, an ambiguous create leaves no duplicate, a duplicate of ours is
 * removed, and the request counts stay within the targets.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { createGraphClient } from '../../src/graph/graph-client.ts';
import { reconcileTarget } from '../../src/reconcile/reconcile-target.ts';
import { harness, hostRanges, LOCATION, locationsIn, policiesIn, quietLogger, TARGET } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let r: TestRedis;

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  r = testRedis('reconcile-consistency');
  return async () => {
    emu.configure({ replicationDelayMs: 0, replicationRules: {} });
    await r.cleanup();
  };
});

const graphRequests = () => emu.requests({ kind: 'graph' });

describe('reconcile: consistent before destructive', () => {
  it('shrinking a sharded target with replication delays converges in one run: no emptied location left, no 400 surfaced', async () => {
    const h = harness(emu, r.client, r.prefix, { namedLocation: { maxRangesPerLocation: 100 } });
    await h.reconcile({ desired: hostRanges(450) });
    expect(locationsIn(emu)).toHaveLength(5);

    // Un-reference and policy changes replicate 1.5 s after the write; reads lag 1 s.
    emu.configure({ replicationRules: { referencedDelete: 1500, readAfterUpdate: 1000, readAfterDelete: 1000 } });
    const shrunk = await h.reconcile({ desired: hostRanges(150), force: true });
    const left = locationsIn(emu);
    expect(left.map((l) => l.displayName)).toEqual([LOCATION, `${LOCATION} (2)`]);
    const policy = policiesIn(emu)[0];
    expect(policy?.conditions.locations?.includeLocations.sort()).toEqual(left.map((l) => l.id).sort());
    expect(shrunk.applied?.consistency.waits).toBeGreaterThan(0);
    expect(shrunk.applied?.consistency.waitedMs).toBeGreaterThan(0);
    expect(shrunk.plan.steps.filter((s) => s.kind === 'deleteLocation')).toHaveLength(3);
  });

  it('a trusted target: shards are un-trusted, read back untrusted, then deleted, all in one run', async () => {
    const h = harness(emu, r.client, r.prefix, { namedLocation: { maxRangesPerLocation: 100, isTrusted: true } });
    await h.reconcile({ desired: hostRanges(250) });
    expect(locationsIn(emu).every((l) => l.isTrusted)).toBe(true);

    emu.configure({ replicationRules: { trustedDelete: 1500, referencedDelete: 1000, readAfterUpdate: 800 } });
    emu.clearRequests();
    const shrunk = await h.reconcile({ desired: hostRanges(80), force: true });
    expect(locationsIn(emu).map((l) => l.displayName)).toEqual([LOCATION]);
    const deletes = graphRequests().filter((e) => e.method === 'DELETE' && e.path.includes('namedLocations'));
    expect(deletes.filter((e) => e.status === 204)).toHaveLength(2);
    expect(shrunk.applied?.consistency.details.some((d) => d.what.includes('isTrusted: false'))).toBe(true);
  });
});

describe('reconcile: the consistency wait is bounded by the target\'s consistencyTimeout', () => {
  it('an update that does not replicate within consistencyTimeout (10s) fails the run with ERR_GRAPH_NOT_CONSISTENT after 10 s, not 3 minutes', async () => {
    const h = harness(emu, r.client, r.prefix, { consistencyTimeout: '10s', namedLocation: { maxRangesPerLocation: 100, isTrusted: true } });
    expect(h.target.consistencyTimeout).toBe(10_000);
    await h.reconcile({ desired: hostRanges(250) });
    // Updates (the policy dropping the shards, their un-trust) stay invisible to reads for a minute:
    // the wait before the first delete cannot end well.
    emu.configure({ replicationRules: { readAfterUpdate: 60_000, trustedDelete: 60_000 } });
    const started = Date.now();
    // No timeoutMs here: the bound is the target's (the client's default for every wait).
    const err = await h.reconcile({ desired: hostRanges(80), force: true, apply: { consistency: { pollMs: 200, maxPollMs: 1000 } } }).catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect((err as { code?: string }).code).toBe('ERR_GRAPH_NOT_CONSISTENT');
    expect((err as Error).message).toMatch(/within 10s: waited for /);
    expect(waited).toBeGreaterThan(8000);
    expect(waited).toBeLessThan(20_000);
    expect(locationsIn(emu)).toHaveLength(3);
  });
});

describe('reconcile: every rule replicating late, with 429s', () => {
  it('growing, shrinking and re-trusting a sharded target converge in one run each with 1.5 s on every rule and 30 % 429s', async () => {
    emu.configure({ replicationDelayMs: 1500 });
    emu.setRandomFaults({ p429: 0.3, seed: 15 });
    try {
      // Agreeing reads spaced like production's (a 3-read agreement spans more than the emulator's mixed-read window).
      const apply = { consistency: { pollMs: 500, maxPollMs: 2000, timeoutMs: 90_000 } };
      const base = harness(emu, r.client, r.prefix, { namedLocation: { maxRangesPerLocation: 100 } });
      const h = { reconcile: (o: Parameters<typeof base.reconcile>[0] = {}) => base.reconcile({ apply, ...o }) };
      await h.reconcile({ desired: hostRanges(250) });
      expect(locationsIn(emu)).toHaveLength(3);
      await h.reconcile({ desired: hostRanges(420) });
      expect(locationsIn(emu)).toHaveLength(5);
      await h.reconcile({ desired: hostRanges(120), force: true });
      expect(locationsIn(emu).map((l) => l.displayName)).toEqual([LOCATION, `${LOCATION} (2)`]);
      const trustedBase = harness(emu, r.client, r.prefix, { namedLocation: { maxRangesPerLocation: 100, isTrusted: true } });
      const trusted = { reconcile: (o: Parameters<typeof trustedBase.reconcile>[0] = {}) => trustedBase.reconcile({ apply, ...o }) };
      await trusted.reconcile({ desired: hostRanges(120) });
      expect(locationsIn(emu).every((l) => l.isTrusted)).toBe(true);
      await trusted.reconcile({ desired: hostRanges(60), force: true });
      const left = locationsIn(emu);
      expect(left.map((l) => l.displayName)).toEqual([LOCATION]);
      expect(policiesIn(emu)).toHaveLength(1);
      expect(policiesIn(emu)[0]?.conditions.locations?.includeLocations).toEqual([left[0]?.id]);
      expect(graphRequests().some((e) => e.status === 429)).toBe(true);
    } finally {
      emu.setRandomFaults(undefined);
    }
  }, 300_000);
});

describe('reconcile: idempotent creates', () => {
  it('a create whose response is lost and which replicates late leaves no duplicate location or policy', async () => {
    const h = harness(emu, r.client, r.prefix);
    const graph = createGraphClient(h.target, {
      redis: r.client,
      prefix: r.prefix,
      onThrottle: 'wait',
      timeoutMs: 400,
      retryPolicy: { baseDelayMs: 50, minDelayMs: 20, maxDelayMs: 100, maxAttempts: 6 },
      replicationPolicy: { baseDelayMs: 100, minDelayMs: 50, maxDelayMs: 500, maxAttempts: 40, deadlineMs: 20_000 },
      createLookup: { reads: 4, spanMs: 3000 },
      logger: quietLogger,
    });
    // The POST is processed after 700 ms, when the client has given up (timeout 400 ms); the new
    // location and policy stay invisible to reads for 1.5 s more.
    emu.configure({ replicationRules: { readAfterCreate: 1500, writeAfterCreate: 1500, referenceAfterCreate: 1500 } });
    emu.addFaults([
      { method: 'POST', path: '/namedLocations', delayMs: 700 },
      { method: 'POST', path: '/policies', delayMs: 700 },
    ]);
    await reconcileTarget({
      config: h.config,
      targetName: TARGET,
      redis: r.client,
      keys: h.keys,
      graph,
      desired: hostRanges(5),
      manual: false,
      force: false,
      dryRun: false,
      logger: quietLogger,
    });
    expect(locationsIn(emu)).toHaveLength(1);
    expect(policiesIn(emu)).toHaveLength(1);
  });

  it('a duplicate of a shard holding only our ranges and referenced by no policy is deleted by the plan (reported)', async () => {
    const h = harness(emu, r.client, r.prefix);
    await h.reconcile({ desired: hostRanges(10) });
    const dup = await h.graph.createNamedLocation({ displayName: LOCATION, ipRanges: hostRanges(10).map((d) => d.cidr), isTrusted: false });
    const run = await h.reconcile({ desired: hostRanges(10) });
    expect(run.plan.duplicates).toEqual([{ id: dup.id, displayName: LOCATION, action: 'delete' }]);
    expect(locationsIn(emu).map((l) => l.id)).not.toContain(dup.id);
    expect(locationsIn(emu)).toHaveLength(1);
  });
});

describe('reconcile: request economy', () => {
  it('first sync ≤ 1.1 × writes + 5 requests; no change ≤ 3; one added range ≤ 4', async () => {
    // A full target: 60 locations of 100 (59 full, one with 50), one policy.
    const h = harness(emu, r.client, r.prefix, { namedLocation: { maxRangesPerLocation: 100, maxLocations: 60 } });
    emu.configure({ replicationRules: { referenceAfterCreate: 300 } });
    const desired = hostRanges(5950);
    emu.clearRequests();
    await h.reconcile({ desired });
    const first = graphRequests();
    const firstWrites = first.filter((e) => e.method !== 'GET' && e.status < 300).length;
    expect(firstWrites).toBe(61);
    expect(first.length).toBeLessThanOrEqual(Math.floor(1.1 * firstWrites) + 5);

    emu.configure({ replicationRules: {} });
    emu.clearRequests();
    await h.reconcile({ desired });
    expect(graphRequests().length).toBeLessThanOrEqual(3);

    emu.clearRequests();
    await h.reconcile({ desired: [...desired, ...hostRanges(1, 5000)] });
    expect(graphRequests().length).toBeLessThanOrEqual(4);
  });
});
