/**
 * The removal grace inside planReconcile: held ranges cost no write, show with their expiry (JSON and
 * text), give way first when capacity is short without counting as overflow, and leave the safety
 * guards (empty feed, mass removal) as they were; append mode and a clear run have no grace.
 */
import { describe, expect, it } from 'vitest';
import { formatPlanText } from '../../src/reconcile/format-plan.ts';
import { planReconcile } from '../../src/reconcile/plan.ts';
import type { PlanInput } from '../../src/reconcile/plan-types.ts';
import { desired, liveLocation, makeTarget, planInput } from '../fixtures/reconcile/plan-fixtures.ts';

const H = 3_600_000;
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const hosts = (...n: number[]) => n.map((i) => `198.51.100.${i}/32`);

/** A target whose one shard holds `live`, all of them ours. */
type Over = { target?: Record<string, unknown>; want: string[]; live: string[]; record?: [string, number][]; now?: number } & Omit<Partial<PlanInput>, 'target' | 'live' | 'desired'>;

function input(over: Over): PlanInput {
  const { target, want, live, record, now, ...rest } = over;
  return planInput({
    target: makeTarget({ removalGrace: '24h', ...target }),
    desired: desired(want),
    live: { locations: [liveLocation('TQ Block', live)], policies: [] },
    owned: new Set(live),
    grace: { firstAbsent: new Map(record ?? []), now: now ?? T0 },
    ...rest,
  });
}

describe('planReconcile with removalGrace', () => {
  it('holds a range that left: no location write, shown with its expiry in the plan and its text', () => {
    const plan = planReconcile(input({ want: hosts(1, 2), live: hosts(1, 2, 3) }));
    expect(plan.steps.filter((s) => s.kind !== 'createPolicy')).toEqual([]);
    expect(plan.summary).toMatchObject({ desired: 2, finalRanges: 3, removed: 0, inGrace: 1 });
    expect(plan.grace).toEqual({
      graceMs: 24 * H,
      held: [{ cidr: '198.51.100.3/32', absentSince: '2025-03-01T12:00:00.000Z', expiresAt: '2025-03-02T12:00:00.000Z' }],
      expired: [],
      neverBlocked: [],
      start: [{ cidr: '198.51.100.3/32', since: T0 }],
      forget: [],
    });
    expect(formatPlanText(plan)).toContain('In removal grace (1d): 1 range(s)');
    expect(formatPlanText(plan)).toContain('198.51.100.3/32  expires 2025-03-02T12:00:00.000Z');
  });

  it('removes it in one location write once the grace has run out', () => {
    const plan = planReconcile(input({ want: hosts(1, 2), live: hosts(1, 2, 3), record: [['198.51.100.3/32', T0]], now: T0 + 24 * H }));
    const writes = plan.steps.filter((s) => s.kind !== 'createPolicy');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ kind: 'updateLocation', removed: ['198.51.100.3/32'], ownedRemove: ['198.51.100.3/32'] });
    expect(plan.grace).toMatchObject({ held: [], expired: ['198.51.100.3/32'], forget: ['198.51.100.3/32'] });
    expect(formatPlanText(plan)).toContain('Removal grace ended: 1 range(s) removed by this plan');
  });

  it('held ranges give way first when capacity is short, and are not overflow', () => {
    // Capacity 3: C stays desired, D is new, A and B left; one of A, B has to go now.
    const plan = planReconcile(
      input({ target: { namedLocation: { maxRangesPerLocation: 3, maxLocations: 1 } }, want: hosts(3, 4), live: hosts(1, 2, 3), record: [['198.51.100.2/32', T0 - H]] }),
    );
    const [write] = plan.steps.filter((s) => s.kind === 'updateLocation');
    expect(write).toMatchObject({ added: ['198.51.100.4/32'], removed: ['198.51.100.2/32'] });
    expect(plan.grace.held.map((h) => h.cidr)).toEqual(['198.51.100.1/32']);
    expect(plan.grace.start).toEqual([{ cidr: '198.51.100.1/32', since: T0 }]);
    expect(plan.grace.forget).toEqual(['198.51.100.2/32']);
    expect(plan.overflow).toMatchObject({ total: 0, bySource: {}, cutoffWeight: undefined });
    expect(plan.warnings.join('\n')).toContain("1 range(s) in removal grace do not fit the target's capacity");
    expect(plan.warnings.join('\n')).not.toContain('desired range(s) do not fit');
  });

  it('a range that left because it is on safety.neverBlock (or the caller\'s never-block list) is removed at once', () => {
    const withList = planReconcile({
      ...input({ target: { safety: { neverBlock: ['198.51.100.3'] } }, want: hosts(1), live: hosts(1, 2, 3, 4) }),
      grace: { firstAbsent: new Map(), now: T0, neverHold: ['198.51.100.4/32'] },
    });
    expect(withList.grace.held.map((h) => h.cidr)).toEqual(['198.51.100.2/32']);
    expect(withList.grace.neverBlocked).toEqual(['198.51.100.3/32', '198.51.100.4/32']);
    expect(withList.steps.find((s) => s.kind === 'updateLocation')).toMatchObject({ removed: ['198.51.100.3/32', '198.51.100.4/32'] });
    expect(formatPlanText(withList)).toContain('No removal grace for 2 range(s) overlapping the never-block list');
  });

  it('an empty feed is still refused (held ranges are not desired)', () => {
    const plan = planReconcile(input({ want: [], live: hosts(1, 2) }));
    expect(plan.grace.held).toHaveLength(2);
    expect(plan.refusals.map((r) => r.code)).toEqual(['ERR_SAFETY_EMPTY']);
  });

  it('a mass removal is held for the grace, then refused when it falls due', () => {
    const live = hosts(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const target = { namedLocation: { maxRangesPerLocation: 2000 } };
    const held = planReconcile(input({ target, want: hosts(1, 2, 3, 4), live }));
    expect(held.refusals).toEqual([]);
    expect(held.summary.writes).toBe(1); // only the policy: nothing removed
    expect(held.grace.held).toHaveLength(6);
    const record = held.grace.start.map((s) => [s.cidr, s.since] as [string, number]);
    const due = planReconcile(input({ target, want: hosts(1, 2, 3, 4), live, record, now: T0 + 24 * H }));
    expect(due.refusals.map((r) => r.code)).toEqual(['ERR_SAFETY_REMOVAL']);
    expect(due.summary.ownedRemoved).toBe(6);
  });

  it('append mode, a manual clear run and a plan without a grace record apply no grace; a clear run forgets the record', () => {
    const append = planReconcile(input({ target: { mode: 'append' }, want: hosts(1), live: hosts(1, 2), record: [['198.51.100.2/32', T0]] }));
    expect(append.grace).toMatchObject({ graceMs: 0, held: [], forget: ['198.51.100.2/32'] });
    expect(append.summary.finalRanges).toBe(2);

    const clear = planReconcile(input({ target: { namedLocation: { clearOnManualRun: true } }, manual: true, want: hosts(1), live: hosts(1, 2), record: [['198.51.100.2/32', T0]] }));
    expect(clear.summary.mode).toBe('clear');
    expect(clear.grace).toMatchObject({ graceMs: 0, held: [], forget: ['198.51.100.2/32'] });
    expect(clear.steps.find((s) => s.kind === 'updateLocation')).toMatchObject({ removed: ['198.51.100.2/32'] });

    const noRecord = planReconcile({ ...input({ want: hosts(1), live: hosts(1, 2) }), grace: undefined });
    expect(noRecord.grace.held).toEqual([]);
    expect(noRecord.summary.removed).toBe(1);
  });
});
