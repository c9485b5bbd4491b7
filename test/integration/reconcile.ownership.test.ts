/**
 * Ownership between targets at run time (issue 13, finding 2), against the Graph emulator with a real
 * Redis: a named location or policy recorded as another target's is refused with
 * ERR_SAFETY_OWNED_BY_OTHER_TARGET before anything is written; never forced when that target is in the
 * configuration (the case the configuration check cannot see: one tenant given as a GUID for one target
 * and as a domain name for the other), forced when it is not (a removed target, another deployment).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { readObjectOwners } from '../../src/state/owned-ranges-store.ts';
import { reconcileTarget } from '../../src/reconcile/reconcile-target.ts';
import { emulatorConfig, harness, hostRanges, locationsIn, policiesIn, quietLogger, rangesOf, WRITER, writes } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let r: TestRedis;

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  r = testRedis('reconcile-ownership');
  return async () => {
    await r.cleanup();
  };
});

function run(config: Config, targetName: string, opts: { force?: boolean; dryRun?: boolean; desired?: ReturnType<typeof hostRanges> } = {}) {
  const h = harness(emu, r.client, r.prefix);
  return reconcileTarget({
    config,
    targetName,
    redis: r.client,
    keys: h.keys,
    graph: h.graph,
    desired: opts.desired ?? hostRanges(3),
    manual: false,
    force: opts.force ?? false,
    dryRun: opts.dryRun ?? false,
    apply: { consistency: { pollMs: 50, maxPollMs: 200, timeoutMs: 20_000 } },
    logger: quietLogger,
  });
}

describe('reconcile: objects another target manages', () => {
  it('records which target manages each location and policy, per tenant', async () => {
    const a = emulatorConfig(emu, r.prefix, { name: 'a', namedLocation: { name: 'Coll', maxRangesPerLocation: 2 }, policy: { name: 'Block a' } });
    await run(a, 'a', { desired: hostRanges(3) });
    const owners = await readObjectOwners(r.client, harness(emu, r.client, r.prefix).keys, WRITER.tenantId);
    const ids = [...locationsIn(emu).map((l) => l.id), ...policiesIn(emu).map((p) => p.id)].map((x) => x.toLowerCase());
    expect(ids).toHaveLength(3);
    expect(Object.fromEntries(owners)).toEqual(Object.fromEntries(ids.map((id) => [id, 'a'])));
  });

  it('refuses, never forced, a shard of a target of the same configuration (GUID/domain case)', async () => {
    const a = emulatorConfig(emu, r.prefix, { name: 'a', namedLocation: { name: 'Coll', maxRangesPerLocation: 2 }, policy: { name: 'Block a' } });
    const b = emulatorConfig(emu, r.prefix, { name: 'b', namedLocation: { name: 'Coll (2)' }, policy: { name: 'Block b' } });
    // One configuration holding both, as when a's tenantId is the GUID and b's a domain name of it
    // (the configuration check compares tenantId text and cannot see it; the emulator knows no domains).
    const both = Object.freeze({ ...a, targets: Object.freeze([...a.targets, ...b.targets]) }) as Config;
    await run(both, 'a', { desired: hostRanges(3) }); // shards "Coll" and "Coll (2)"
    const before = locationsIn(emu);
    expect(before.map((l) => l.displayName)).toEqual(['Coll', 'Coll (2)']);
    emu.clearRequests();

    for (const force of [false, true]) {
      const err = await run(both, 'b', { force }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_SAFETY_OWNED_BY_OTHER_TARGET', details: { target: 'b', owner: 'a', kind: 'named location', displayName: 'Coll (2)', ownerConfigured: true } });
      expect((err as Error).message).toMatch(/named location "Coll \(2\)" .* is managed by target "a" of the same tenant/);
    }
    expect(writes(emu)).toEqual([]);
    expect(locationsIn(emu)).toEqual(before);
    expect(policiesIn(emu).map((p) => p.displayName)).toEqual(['Block a']);

    // plan (a dry run) shows the refusal too
    const dry = await run(both, 'b', { dryRun: true });
    expect(dry.plan.refusals.map((e) => e.code)).toEqual(['ERR_SAFETY_OWNED_BY_OTHER_TARGET']);
    // and a keeps converging with zero writes
    emu.clearRequests();
    await run(both, 'a', { desired: hostRanges(3) });
    expect(writes(emu)).toEqual([]);
  });

  it('refuses the same policy name recorded as another target (no location was shared)', async () => {
    const a = emulatorConfig(emu, r.prefix, { name: 'a', namedLocation: { name: 'Loc a' }, policy: { name: 'Shared policy' } });
    const b = emulatorConfig(emu, r.prefix, { name: 'b', namedLocation: { name: 'Loc b' }, policy: { name: 'Shared policy' } });
    const both = Object.freeze({ ...a, targets: Object.freeze([...a.targets, ...b.targets]) }) as Config;
    await run(both, 'a');
    emu.clearRequests();
    const err = await run(both, 'b').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SAFETY_OWNED_BY_OTHER_TARGET', details: { owner: 'a', kind: 'policy', displayName: 'Shared policy' } });
    expect(writes(emu)).toEqual([]);
    expect(locationsIn(emu).map((l) => l.displayName)).toEqual(['Loc a']);
  });

  it('a target not in this configuration (another deployment, a removed target): refused, --force takes it over', async () => {
    const a = emulatorConfig(emu, r.prefix, { name: 'a', namedLocation: { name: 'Coll' }, policy: { name: 'Block a' } });
    const b = emulatorConfig(emu, r.prefix, { name: 'b', namedLocation: { name: 'Coll' }, policy: { name: 'Block b' } });
    await run(a, 'a', { desired: hostRanges(3) });
    const aRanges = rangesOf(locationsIn(emu)[0]);
    emu.clearRequests();
    const err = await run(b, 'b', { desired: hostRanges(2, 100) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SAFETY_OWNED_BY_OTHER_TARGET', details: { owner: 'a', displayName: 'Coll', ownerConfigured: false } });
    expect((err as Error).message).toContain('run once with --force to take it over');
    expect(writes(emu)).toEqual([]);
    expect(rangesOf(locationsIn(emu)[0])).toEqual(aRanges);

    const forced = await run(b, 'b', { desired: hostRanges(2, 100), force: true });
    expect(forced.plan.warnings.some((w) => /named location "Coll" .* was recorded as target "a"'s, which is not in this configuration/.test(w))).toBe(true);
    const owners = await readObjectOwners(r.client, harness(emu, r.client, r.prefix).keys, WRITER.tenantId);
    expect(owners.get(locationsIn(emu)[0]!.id.toLowerCase())).toBe('b');
    // from now on a is the one refused
    await expect(run(a, 'a')).rejects.toMatchObject({ code: 'ERR_SAFETY_OWNED_BY_OTHER_TARGET', details: { owner: 'b' } });
  });

  it('takes over, with a warning, an object whose recorded target no longer matches it (renamed its location)', async () => {
    const a = emulatorConfig(emu, r.prefix, { name: 'a', namedLocation: { name: 'Coll' }, policy: { name: 'Block a' } });
    await run(a, 'a');
    // a now names another location; b (same configuration) takes "Coll"
    const a2 = emulatorConfig(emu, r.prefix, { name: 'a', namedLocation: { name: 'Coll a' }, policy: { name: 'Block a' } });
    const b = emulatorConfig(emu, r.prefix, { name: 'b', namedLocation: { name: 'Coll' }, policy: { name: 'Block b' } });
    const both = Object.freeze({ ...a2, targets: Object.freeze([...a2.targets, ...b.targets]) }) as Config;
    const res = await run(both, 'b', { desired: hostRanges(3) });
    expect(res.plan.refusals).toEqual([]);
    expect(res.plan.warnings.some((w) => /was recorded as target "a"'s, which no longer manages it: taken over/.test(w))).toBe(true);
  });
});
