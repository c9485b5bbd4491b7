/**
 * Removal grace against the Graph emulator (HTTPS, real Redis), with an injected clock: a range dropped
 * and restored within the grace makes zero Graph writes; one dropped for longer is removed in exactly
 * one write; a manual run with clearOnManualRun ignores the grace and clears the record; `plan` (a dry
 * run) shows the ranges in grace with their expiry and records nothing; a mass removal is held, then
 * refused when it falls due. Writes are counted in the emulator's request log.
 */
import { describe, expect, it } from 'vitest';
import { formatPlanText } from '../../src/reconcile/format-plan.ts';
import { readOwnedRanges } from '../../src/state/owned-ranges-store.ts';
import { readGrace } from '../../src/state/grace-store.ts';
import { harness, hostRanges, locationsIn, rangesOf, TARGET, writes, type Harness } from '../fixtures/reconcile/emulator-target.ts';
import { useGraphEmulator } from '../helpers/graph-emulator-suite.ts';

const suite = useGraphEmulator('reconcile-grace', { unpacedEachTest: true });
const H = 3_600_000;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const ALL = hostRanges(40);
/** The feed without three of its ranges. */
const DROPPED = ALL.slice(10, 13).map((d) => d.cidr);
const WITHOUT = ALL.filter((d) => !DROPPED.includes(d.cidr));

let testNo = 0;

/** A converged target (feed ALL, 24h grace; its own key prefix per test) and a reconcile at a given hour after T0. */
async function converged(
  over: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<{ h: Harness; at: (hours: number, opts?: Parameters<Harness['reconcile']>[0]) => ReturnType<Harness['reconcile']> }> {
  testNo += 1;
  const h = harness(suite.emu, suite.r.client, `${suite.r.prefix}:${testNo}`, { removalGrace: '24h', ...over }, extra);
  const at = (hours: number, opts: Parameters<Harness['reconcile']>[0] = {}) => h.reconcile({ now: () => T0 + hours * H, ...opts });
  await at(0, { desired: ALL });
  suite.emu.clearRequests();
  return { h, at };
}

const entraRanges = () => new Set(locationsIn(suite.emu).flatMap(rangesOf));

describe('reconcile: removal grace', () => {
  it('a range dropped and restored within the grace costs zero Graph writes, and the record is empty again', async () => {
    const { h, at } = await converged();
    const dropped = await at(1, { desired: WITHOUT });
    expect(writes(suite.emu)).toEqual([]);
    expect(dropped.plan.grace.held.map((g) => g.cidr)).toEqual(DROPPED);
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map(DROPPED.map((c) => [c, T0 + H])));
    expect(entraRanges()).toEqual(new Set(ALL.map((d) => d.cidr)));

    const stillOut = await at(20, { desired: WITHOUT });
    expect(stillOut.plan.grace.held.map((g) => g.expiresAt)).toEqual(DROPPED.map(() => '2025-03-02T01:00:00.000Z'));
    const back = await at(23, { desired: ALL });
    expect(writes(suite.emu)).toEqual([]);
    expect(back.plan.summary.inGrace).toBe(0);
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map());
    expect(await suite.r.client.exists(h.keys.grace(TARGET))).toBe(0);
  });

  it('a range absent for longer than the grace is removed in exactly one write', async () => {
    const { h, at } = await converged();
    await at(1, { desired: WITHOUT });
    await at(1 + 24 - 0.001, { desired: WITHOUT });
    expect(writes(suite.emu)).toEqual([]);

    const due = await at(1 + 24, { desired: WITHOUT });
    const w = writes(suite.emu);
    expect(w.map((e) => `${e.method} ${e.status}`)).toEqual(['PATCH 204']);
    expect(due.plan.grace.expired).toEqual(DROPPED);
    expect(entraRanges()).toEqual(new Set(WITHOUT.map((d) => d.cidr)));
    const owned = await readOwnedRanges(suite.r.client, h.keys, TARGET);
    expect(DROPPED.filter((c) => owned.has(c))).toEqual([]);
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map());

    suite.emu.clearRequests();
    await at(30, { desired: WITHOUT });
    expect(writes(suite.emu)).toEqual([]);
  });

  it('a range in grace that ThreatQ whitelists goes at once, in one write; the others stay held', async () => {
    const source = { name: 'tq', kind: 'threatq', url: 'https://threatq.invalid', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' }, collections: [{ id: 'c1', targets: [TARGET] }] };
    const { h, at } = await converged({}, { sources: [source] });
    await at(1, { desired: WITHOUT });
    expect(writes(suite.emu)).toEqual([]);
    await suite.r.client.set(h.keys.whitelist('tq', 'c1'), DROPPED[0] as string);

    const r = await at(2, { desired: WITHOUT });
    expect(writes(suite.emu).map((e) => `${e.method} ${e.status}`)).toEqual(['PATCH 204']);
    expect(r.plan.grace.held.map((g) => g.cidr)).toEqual(DROPPED.slice(1));
    expect(entraRanges().has(DROPPED[0] as string)).toBe(false);
    expect([...(await readGrace(suite.r.client, h.keys, TARGET)).keys()]).toEqual(DROPPED.slice(1));
  });

  it('a removal that fails keeps the expired ranges recorded; the next run removes them', async () => {
    const { h, at } = await converged();
    await at(1, { desired: WITHOUT });
    suite.emu.addFaults([{ method: 'PATCH', path: '/namedLocations', status: 400, times: 1 }]);
    await expect(at(25, { desired: WITHOUT })).rejects.toThrow();
    expect(entraRanges()).toEqual(new Set(ALL.map((d) => d.cidr)));
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map(DROPPED.map((c) => [c, T0 + H])));

    suite.emu.clearRequests();
    const again = await at(26, { desired: WITHOUT });
    expect(writes(suite.emu).map((e) => `${e.method} ${e.status}`)).toEqual(['PATCH 204']);
    expect(again.plan.grace.expired).toEqual(DROPPED);
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map());
  });

  it('a manual run with clearOnManualRun ignores the grace and clears the record', async () => {
    const { h, at } = await converged({ namedLocation: { clearOnManualRun: true } });
    await at(1, { desired: WITHOUT });
    expect(writes(suite.emu)).toEqual([]);
    expect((await readGrace(suite.r.client, h.keys, TARGET)).size).toBe(3);

    const manual = await at(2, { desired: WITHOUT, manual: true });
    expect(manual.plan.summary.mode).toBe('clear');
    expect(writes(suite.emu).map((e) => e.method)).toEqual(['PATCH']);
    expect(entraRanges()).toEqual(new Set(WITHOUT.map((d) => d.cidr)));
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map());
  });

  it('plan (a dry run) shows the ranges in grace with their expiry and records nothing', async () => {
    const { h, at } = await converged();
    const plan = await at(1, { desired: WITHOUT, dryRun: true });
    expect(plan.plan.grace.held).toEqual(DROPPED.map((cidr) => ({ cidr, absentSince: '2025-03-01T01:00:00.000Z', expiresAt: '2025-03-02T01:00:00.000Z' })));
    const text = formatPlanText(plan.plan);
    expect(text).toContain('In removal grace (1d): 3 range(s)');
    for (const c of DROPPED) expect(text).toContain(`${c}  expires 2025-03-02T01:00:00.000Z`);
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map());

    // Recorded by a real run, the dry run after it shows the first-absent time it reads.
    await at(2, { desired: WITHOUT });
    const later = await at(5, { desired: WITHOUT, dryRun: true });
    expect(later.plan.grace.held[0]?.expiresAt).toBe('2025-03-02T02:00:00.000Z');
    expect(writes(suite.emu)).toEqual([]);
  });

  it('a mass removal is held for the grace, then refused when it falls due (and goes in one write with --force)', async () => {
    const { h, at } = await converged();
    const few = ALL.slice(0, 10);
    const held = await at(1, { desired: few });
    expect(held.plan.summary.inGrace).toBe(30);
    expect(writes(suite.emu)).toEqual([]);
    await expect(at(26, { desired: few })).rejects.toMatchObject({ code: 'ERR_SAFETY_REMOVAL' });
    expect(writes(suite.emu)).toEqual([]);
    expect((await readGrace(suite.r.client, h.keys, TARGET)).size).toBe(30);
    await at(27, { desired: few, force: true });
    expect(writes(suite.emu).map((e) => e.method)).toEqual(['PATCH']);
    expect(entraRanges()).toEqual(new Set(few.map((d) => d.cidr)));
    expect(await readGrace(suite.r.client, h.keys, TARGET)).toEqual(new Map());
  });
});
