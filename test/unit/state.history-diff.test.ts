import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEntry, contentHash, reconstructAt, unionOf, type HistoryEntry, type LocationContents } from '../../src/state/history-diff.ts';

const NAMES = ['TQ Blocked', 'TQ Blocked (2)', 'TQ Blocked (3)'];
const RANGES = Array.from({ length: 24 }, (_, i) => `198.51.100.${i}/32`);

/** A state: each range in at most one location (as the planner places them). */
const stateArb = fc.array(fc.integer({ min: -1, max: NAMES.length - 1 }), { minLength: RANGES.length, maxLength: RANGES.length }).map((slots) => {
  const c: LocationContents = new Map();
  slots.forEach((slot, i) => {
    const name = NAMES[slot];
    if (name === undefined) return;
    c.set(name, [...(c.get(name) ?? []), RANGES[i] as string]);
  });
  return c;
});

/** The entry that takes `before` to `after`, per location, as reconcile records it. */
function diffOf(before: LocationContents, after: LocationContents, run: string): HistoryEntry {
  const locations = NAMES.flatMap((name) => {
    const b = new Set(before.get(name) ?? []);
    const a = new Set(after.get(name) ?? []);
    const added = [...a].filter((r) => !b.has(r));
    const removed = [...b].filter((r) => !a.has(r));
    return added.length + removed.length > 0 ? [{ name, added, addedFrom: added.map(() => []), removed }] : [];
  });
  const union = unionOf(after);
  return { run, at: '2026-11-30T00:00:00.000Z', kind: 'reconcile', sources: [], locations, policy: { action: 'unchanged', fields: [] }, total: union.length, hash: contentHash(union) };
}

const norm = (c: LocationContents): [string, string[]][] =>
  [...c]
    .filter(([, v]) => v.length > 0)
    .map(([k, v]): [string, string[]] => [k, [...v].sort()])
    .sort((a, b) => a[0].localeCompare(b[0]));

describe('history diffs', () => {
  it('reconstruct(run k) equals what run k left, for every k, and its hash matches the entry', () => {
    fc.assert(
      fc.property(fc.array(stateArb, { minLength: 1, maxLength: 8 }), (states) => {
        const entries: HistoryEntry[] = [];
        let before: LocationContents = new Map();
        states.forEach((s, k) => {
          entries.push(diffOf(before, s, `run-${k}`));
          before = s;
        });
        const head = states[states.length - 1] as LocationContents;
        for (let k = 0; k < states.length; k += 1) {
          const newer = entries.slice(k + 1).reverse();
          const got = reconstructAt(head, newer);
          expect(norm(got)).toEqual(norm(states[k] as LocationContents));
          expect(contentHash(unionOf(got))).toBe(entries[k]?.hash);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('applyEntry is the inverse of undo: forward from the empty state gives the head', () => {
    fc.assert(
      fc.property(fc.array(stateArb, { minLength: 1, maxLength: 6 }), (states) => {
        let before: LocationContents = new Map();
        let forward: LocationContents = new Map();
        states.forEach((s, k) => {
          forward = applyEntry(forward, diffOf(before, s, `run-${k}`));
          before = s;
        });
        expect(norm(forward)).toEqual(norm(states[states.length - 1] as LocationContents));
      }),
    );
  });

  it('a change made outside the service between runs shows as a hash mismatch', () => {
    const s1: LocationContents = new Map([['TQ Blocked', ['198.51.100.1/32', '198.51.100.2/32']]]);
    const e1 = diffOf(new Map(), s1, 'run-1');
    const byHand: LocationContents = new Map([['TQ Blocked', ['198.51.100.1/32', '198.51.100.2/32', '198.51.100.9/32']]]);
    const s2: LocationContents = new Map([['TQ Blocked', ['198.51.100.1/32', '198.51.100.9/32']]]);
    const e2 = diffOf(byHand, s2, 'run-2');
    const got = reconstructAt(s2, [e2]);
    expect(contentHash(unionOf(got))).not.toBe(e1.hash);
    expect(unionOf(got)).toEqual(['198.51.100.1/32', '198.51.100.2/32', '198.51.100.9/32']);
  });
});
