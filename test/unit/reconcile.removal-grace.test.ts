/**
 * The removal-grace decision (src/reconcile/removal-grace.ts), pure: examples of how ranges leave by
 * address, and properties over random run histories checked against an independent model of the rule
 * ("a range that leaves stays until it has been absent for the grace; back within it, it never left").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRemovalGrace, GRACE_SOURCE, GRACE_WEIGHT, type GraceDecision } from '../../src/reconcile/removal-grace.ts';
import type { DesiredRange } from '../../src/reconcile/plan-types.ts';
import { desired } from '../fixtures/reconcile/plan-fixtures.ts';
import { blockEnd, parseBlock, refSubtract } from '../fixtures/ranges/reference-cidr-set.ts';

const H = 3_600_000;
const cidrs = (d: readonly DesiredRange[]) => d.map((x) => x.cidr);

describe('decideRemovalGrace: examples', () => {
  it('holds a range that left, from the first run that sees it absent, until the grace ends', () => {
    const t0 = 1_700_000_000_000;
    const want = desired(['198.51.100.1/32']);
    const present = ['198.51.100.1/32', '198.51.100.2/32'];
    const first = decideRemovalGrace({ desired: want, present, firstAbsent: new Map(), now: t0, graceMs: 24 * H });
    expect(first.held).toEqual([{ cidr: '198.51.100.2/32', since: t0, expiresAt: t0 + 24 * H }]);
    expect(first.start).toEqual([{ cidr: '198.51.100.2/32', since: t0 }]);
    expect(first.expired).toEqual([]);
    expect(first.effective).toEqual([...want, { cidr: '198.51.100.2/32', weight: GRACE_WEIGHT, sources: [GRACE_SOURCE] }]);

    const record = new Map([['198.51.100.2/32', t0]]);
    const later = decideRemovalGrace({ desired: want, present, firstAbsent: record, now: t0 + 24 * H - 1, graceMs: 24 * H });
    expect(later.held.map((h) => h.cidr)).toEqual(['198.51.100.2/32']);
    expect(later.start).toEqual([]);
    const expired = decideRemovalGrace({ desired: want, present, firstAbsent: record, now: t0 + 24 * H, graceMs: 24 * H });
    expect(expired.held).toEqual([]);
    expect(expired.expired).toEqual(['198.51.100.2/32']);
    expect(cidrs(expired.effective)).toEqual(['198.51.100.1/32']);
    expect(expired.forget).toEqual(['198.51.100.2/32']);
  });

  it('compares by address: a range inside a desired one has not left; a /24 of which a /25 stays is held whole, carrying the /25', () => {
    const inside = decideRemovalGrace({ desired: desired(['10.9.0.0/16']), present: ['10.9.8.0/24'], firstAbsent: new Map(), now: 0, graceMs: H });
    expect(inside.held).toEqual([]);
    expect(inside.start).toEqual([]);

    const half = decideRemovalGrace({ desired: desired(['10.9.8.0/25'], 7, ['tq/a']), present: ['10.9.8.0/24'], firstAbsent: new Map(), now: 0, graceMs: H });
    expect(half.held.map((h) => h.cidr)).toEqual(['10.9.8.0/24']);
    // The /25 rides in the held /24 with its weight and source: nothing overlaps, and capacity ranks it as the /25.
    expect(half.effective).toEqual([{ cidr: '10.9.8.0/24', weight: 7, sources: [GRACE_SOURCE, 'tq/a'] }]);
  });

  it('a range that comes back is forgotten; ranges no longer present are forgotten; no grace: nothing held, all forgotten', () => {
    const record = new Map([
      ['198.51.100.2/32', 5],
      ['198.51.100.3/32', 5],
    ]);
    const back = decideRemovalGrace({ desired: desired(['198.51.100.2/32']), present: ['198.51.100.2/32'], firstAbsent: record, now: 10, graceMs: H });
    expect(back.held).toEqual([]);
    expect(back.forget.sort()).toEqual(['198.51.100.2/32', '198.51.100.3/32']);

    const none = decideRemovalGrace({ desired: [], present: ['198.51.100.2/32'], firstAbsent: record, now: 10, graceMs: 0 });
    expect(none).toEqual({ effective: [], held: [], expired: [], neverBlocked: [], start: [], forget: ['198.51.100.2/32', '198.51.100.3/32'] });
  });

  it('a range that left overlapping a never-block CIDR (either holding the other, any spelling) goes at once', () => {
    const record = new Map([['10.9.8.0/24', 5]]);
    const d = decideRemovalGrace({
      desired: desired(['198.51.100.1/32']),
      present: ['198.51.100.1/32', '198.51.100.2/32', '198.51.100.3/32', '10.9.8.0/24', '10.9.9.0/24'],
      firstAbsent: record,
      now: 10,
      graceMs: H,
      neverHold: ['198.51.100.2', '10.9.8.77', '10.9.9.0/23'],
    });
    expect(d.held.map((h) => h.cidr)).toEqual(['198.51.100.3/32']);
    expect(d.neverBlocked).toEqual(['10.9.8.0/24', '10.9.9.0/24', '198.51.100.2/32']);
    expect(d.start.map((s) => s.cidr)).toEqual(['198.51.100.3/32']);
    expect(d.forget).toEqual(['10.9.8.0/24']);
    expect(cidrs(d.effective)).toEqual(['198.51.100.1/32', '198.51.100.3/32']);
  });
});

/** A run history: per run, the hours since the previous run and which of the universe's ranges are desired. */
const UNIVERSE = Array.from({ length: 12 }, (_, i) => `203.0.113.${i * 2 + 1}/32`);
const history = fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.array(fc.boolean(), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length })), {
  minLength: 1,
  maxLength: 40,
});

/** Apply a decision as a successful apply does: the target holds `effective` (it all fits), the record changes. */
function applied(d: GraceDecision, record: Map<string, number>): Set<string> {
  for (const s of d.start) record.set(s.cidr, s.since);
  for (const c of d.forget) record.delete(c);
  return new Set(cidrs(d.effective));
}

describe('decideRemovalGrace: properties over run histories', () => {
  it('matches the model: kept while absent for less than the grace (counted from the first run that saw it absent), removed at the first run after', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 1, max: 30 }), (runs, graceHours) => {
        const graceMs = graceHours * H;
        let now = 0;
        let live = new Set<string>();
        const record = new Map<string, number>();
        /** The model: when the current absence of each live range began (the first run that saw it absent). */
        const absentSince = new Map<string, number>();
        for (const [dt, mask] of runs) {
          now += dt * H;
          const want = UNIVERSE.filter((_, i) => mask[i]);
          const d = decideRemovalGrace({ desired: desired(want), present: live, firstAbsent: record, now, graceMs });
          const next = applied(d, record);
          for (const r of UNIVERSE) {
            if (want.includes(r) || !live.has(r)) absentSince.delete(r);
            else if (!absentSince.has(r)) absentSince.set(r, now);
            const since = absentSince.get(r);
            const expected = want.includes(r) || (since !== undefined && now - since < graceMs);
            expect(next.has(r), `${r} at ${now / H}h`).toBe(expected);
          }
          for (const r of UNIVERSE) if (!next.has(r)) absentSince.delete(r);
          // Bounded memory: after a successful apply the record holds exactly the ranges in grace.
          expect(new Set(record.keys())).toEqual(new Set(d.held.map((h) => h.cidr)));
          live = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never drops a desired address, holds only present ranges that left, and keeps held and expired apart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length }),
        fc.array(fc.boolean(), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length }),
        fc.array(fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 50 }),
        fc.subarray(UNIVERSE),
        (wantMask, presentMask, recorded, now, graceMs, neverHold) => {
          const want = UNIVERSE.filter((_, i) => wantMask[i]);
          const present = UNIVERSE.filter((_, i) => presentMask[i]);
          const firstAbsent = new Map(UNIVERSE.flatMap((r, i) => (recorded[i] === undefined ? [] : [[r, recorded[i]] as [string, number]])));
          const d = decideRemovalGrace({ desired: desired(want), present, firstAbsent, now, graceMs, neverHold });
          const eff = new Set(cidrs(d.effective));
          for (const r of want) expect(eff.has(r)).toBe(true);
          const held = d.held.map((h) => h.cidr);
          for (const r of [...held, ...d.expired]) expect(present.includes(r) && !want.includes(r)).toBe(true);
          expect(held.filter((r) => d.expired.includes(r))).toEqual([]);
          const leaving = present.filter((r) => !want.includes(r));
          if (graceMs > 0) {
            expect(new Set([...held, ...d.expired, ...d.neverBlocked])).toEqual(new Set(leaving));
            expect(new Set(d.neverBlocked)).toEqual(new Set(leaving.filter((r) => neverHold.includes(r))));
          } else expect([...held, ...d.neverBlocked]).toEqual([]);
          for (const h of d.held) expect(h.expiresAt).toBeGreaterThan(now);
          expect(d.start.every((s) => !firstAbsent.has(s.cidr) && s.since === now)).toBe(true);
          expect(eff.size).toBe(want.length + held.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('with nested blocks: leaves exactly what the desired addresses do not cover, and places every desired address', () => {
    // 10.0.0.0/24, its halves, quarters and eighths, and a few hosts: nesting and adjacency everywhere.
    const nested = ['10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/25', ...[0, 64, 128, 192].map((o) => `10.0.0.${o}/26`), ...[0, 32, 96, 160, 224].map((o) => `10.0.0.${o}/27`), '10.0.0.5/32', '10.0.0.200/32'];
    const subset = fc.array(fc.boolean(), { minLength: nested.length, maxLength: nested.length }).map((m) => nested.filter((_, i) => m[i]));
    fc.assert(
      fc.property(subset, subset, fc.integer({ min: 1, max: 50 }), (want, present, graceMs) => {
        const d = decideRemovalGrace({ desired: desired(want, 5), present, firstAbsent: new Map(), now: 0, graceMs });
        const covered = (r: string) => refSubtract([parseBlock(r)], want.map(parseBlock)).length === 0;
        expect(new Set(d.held.map((h) => h.cidr))).toEqual(new Set(present.filter((r) => !covered(r))));
        expect(d.expired).toEqual([]);
        // Every desired address is placed: in a desired range kept as is, or in the held range it rides in.
        const eff = d.effective.map((e) => parseBlock(e.cidr));
        for (const w of want) expect(refSubtract([parseBlock(w)], eff)).toEqual([]);
        // A desired range rides in a held range holding it (which takes its weight), or is placed itself
        // when no held range holds it; a held range holding no desired range keeps the lowest weight.
        const held = d.effective.filter((x) => x.sources.includes(GRACE_SOURCE));
        const holds = (k: string, w: string) => {
          const [a, b] = [parseBlock(k), parseBlock(w)];
          return b.start >= a.start && blockEnd(b) <= blockEnd(a);
        };
        for (const w of want) {
          const carriers = held.filter((k) => holds(k.cidr, w));
          if (cidrs(d.effective).includes(w)) expect(carriers).toEqual([]);
          else expect(carriers.some((k) => k.weight === 5)).toBe(true);
        }
        for (const k of held) if (!want.some((w) => holds(k.cidr, w))) expect(k.weight).toBe(GRACE_WEIGHT);
      }),
      { numRuns: 500 },
    );
  });
});
