import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOp, planIndicator, type IndicatorState, type OpResult, type WriteBackSettings, type WriteOp } from '../../src/pipeline/stages/writeback/writeback-diff.ts';
import { decodeEntry, encodeEntry, type WriteBackEntry } from '../../src/state/writeback-store.ts';

const UNTAG: WriteBackSettings = { tag: 'Blocked in Entra', attribute: 'Entra Block', onRemoval: 'untag', removedTag: 'Unblocked in Entra' };
const TAG: WriteBackSettings = { ...UNTAG, onRemoval: 'tag' };
const T0 = Date.parse('2024-05-01T10:00:00Z') / 1000;
const T1 = T0 + 86_400;
const NAMES = new Map([
  ['tag:7', 'Blocked in Entra'],
  ['tag:8', 'Unblocked in Entra'],
  ['attr:3', 'Entra Block'],
]);

function state(entry: WriteBackEntry | undefined, enforcedBy: string[], settings = UNTAG, at = T1): IndicatorState {
  return { entry, enforcedBy, settings, names: NAMES, at };
}

/**
 * A fake ThreatQ: tag ids and attribute type ids by name (as ThreatQ hands them out), attribute ids
 * one by one; what it hands out is learned into `names` as the stage records it.
 */
function fakeThreatQ(names: Map<string, string>) {
  let nextAttr = 100;
  const tagIds = new Map([['blocked in entra', 7], ['unblocked in entra', 8], ['other', 9]]);
  const typeIds = new Map([['Entra Block', 3], ['Other', 4]]);
  return (op: WriteOp): OpResult => {
    if (op.kind === 'addTag') {
      const tagId = tagIds.get(op.name.toLowerCase()) ?? 10;
      names.set(`tag:${tagId}`, op.name);
      return { tagId };
    }
    if (op.kind === 'addAttribute') {
      const typeId = typeIds.get(op.name) ?? 5;
      names.set(`attr:${typeId}`, op.name);
      return { attributeId: nextAttr++, typeId };
    }
    return undefined;
  };
}

/** Plan and apply against the fake ThreatQ: the entry after, and the names learned. */
function runWithNames(s: IndicatorState, range = '203.0.113.10/32'): { entry: WriteBackEntry | undefined; names: Map<string, string> } {
  const names = new Map(s.names);
  const threatq = fakeThreatQ(names);
  let entry = s.entry;
  for (const op of planIndicator(s)) entry = applyOp(entry, range, op, threatq(op));
  return { entry, names };
}

const run = (s: IndicatorState) => runWithNames(s).entry;

const tagged = (targets: Record<string, { id: number; since: number; removed?: number }>): WriteBackEntry => ({
  range: '203.0.113.10/32',
  tag: 7,
  attributes: Object.fromEntries(Object.entries(targets).map(([t, a]) => [t, { type: 3, ...a }])),
});

describe('planIndicator', () => {
  it('tags a newly enforced indicator once, with one attribute per enforcing target', () => {
    expect(planIndicator(state(undefined, ['corp', 'lab']))).toEqual([
      { kind: 'addTag', role: 'tag', name: 'Blocked in Entra' },
      { kind: 'addAttribute', target: 'corp', name: 'Entra Block', value: 'corp since 2024-05-02T10:00:00Z', since: T1 },
      { kind: 'addAttribute', target: 'lab', name: 'Entra Block', value: 'lab since 2024-05-02T10:00:00Z', since: T1 },
    ]);
  });

  it('writes nothing for an indicator already tagged, or never enforced', () => {
    expect(planIndicator(state(tagged({ corp: { id: 100, since: T0 } }), ['corp']))).toEqual([]);
    expect(planIndicator(state(undefined, []))).toEqual([]);
    expect(planIndicator(state(undefined, [], TAG))).toEqual([]);
  });

  it('onRemoval untag: an indicator that left Entra loses its tag and attributes, and its entry', () => {
    const before = tagged({ corp: { id: 100, since: T0 }, lab: { id: 101, since: T0 } });
    expect(planIndicator(state(before, []))).toEqual([
      { kind: 'removeTag', role: 'tag', tagId: 7 },
      { kind: 'removeAttribute', target: 'corp', attributeId: 100 },
      { kind: 'removeAttribute', target: 'lab', attributeId: 101 },
    ]);
    expect(run(state(before, []))).toBeUndefined();
  });

  it('keeps the tag while any target enforces; the attribute follows each target', () => {
    const before = tagged({ corp: { id: 100, since: T0 }, lab: { id: 101, since: T0 } });
    expect(planIndicator(state(before, ['lab']))).toEqual([{ kind: 'removeAttribute', target: 'corp', attributeId: 100 }]);
    expect(planIndicator(state(before, ['lab'], TAG))).toEqual([
      { kind: 'updateAttribute', target: 'corp', attributeId: 100, value: 'corp since 2024-05-01T10:00:00Z, removed 2024-05-02T10:00:00Z', since: T0, removed: T1 },
    ]);
  });

  it('onRemoval tag: swaps the tag for removedTag once, marks attributes removed, and undoes it on return', () => {
    const before = tagged({ corp: { id: 100, since: T0 } });
    expect(planIndicator(state(before, [], TAG))).toEqual([
      { kind: 'removeTag', role: 'tag', tagId: 7 },
      { kind: 'addTag', role: 'removedTag', name: 'Unblocked in Entra' },
      { kind: 'updateAttribute', target: 'corp', attributeId: 100, value: 'corp since 2024-05-01T10:00:00Z, removed 2024-05-02T10:00:00Z', since: T0, removed: T1 },
    ]);
    const removed = run(state(before, [], TAG));
    expect(removed).toEqual({ range: '203.0.113.10/32', removedTag: 8, attributes: { corp: { id: 100, type: 3, since: T0, removed: T1 } } });
    expect(planIndicator(state(removed, [], TAG, T1 + 60))).toEqual([]);
    const T2 = T1 + 3600;
    expect(planIndicator(state(removed, ['corp'], TAG, T2))).toEqual([
      { kind: 'addTag', role: 'tag', name: 'Blocked in Entra' },
      { kind: 'removeTag', role: 'removedTag', tagId: 8 },
      { kind: 'updateAttribute', target: 'corp', attributeId: 100, value: 'corp since 2024-05-02T11:00:00Z', since: T2 },
    ]);
  });

  it('replaces a tag or attribute written under a name no longer configured; false removes it', () => {
    const before = tagged({ corp: { id: 100, since: T0 } });
    const renamed: WriteBackSettings = { ...UNTAG, tag: 'Entra: blocked', attribute: 'Entra' };
    expect(planIndicator(state(before, ['corp'], renamed))).toEqual([
      { kind: 'removeTag', role: 'tag', tagId: 7 },
      { kind: 'addTag', role: 'tag', name: 'Entra: blocked' },
      { kind: 'removeAttribute', target: 'corp', attributeId: 100 },
      { kind: 'addAttribute', target: 'corp', name: 'Entra', value: 'corp since 2024-05-02T10:00:00Z', since: T1 },
    ]);
    expect(planIndicator(state(before, ['corp'], { ...UNTAG, tag: 'BLOCKED IN ENTRA' }))).toEqual([]);
    expect(planIndicator(state(before, ['corp'], { ...UNTAG, attribute: false }))).toEqual([{ kind: 'removeAttribute', target: 'corp', attributeId: 100 }]);
    expect(planIndicator(state(before, ['corp'], { ...UNTAG, tag: false }))).toEqual([{ kind: 'removeTag', role: 'tag', tagId: 7 }]);
  });

  it('is idempotent: after its operations succeed, planning again writes nothing', () => {
    const targets = fc.subarray(['corp', 'lab', 'dmz']);
    const settings = fc.record({
      tag: fc.constantFrom<string | false>('Blocked in Entra', 'Other', false),
      attribute: fc.constantFrom<string | false>('Entra Block', 'Other', false),
      onRemoval: fc.constantFrom<'untag' | 'tag'>('untag', 'tag'),
      removedTag: fc.constant('Unblocked in Entra'),
    }).filter((s) => s.tag !== false || s.attribute !== false);
    const attr = fc.record({ id: fc.integer({ min: 1, max: 99 }), type: fc.constant(3), since: fc.constant(T0) }, { requiredKeys: ['id', 'type', 'since'] });
    const entry = fc.option(
      fc.record({
        range: fc.constant('203.0.113.10/32'),
        tag: fc.option(fc.constant(7), { nil: undefined }),
        removedTag: fc.option(fc.constant(8), { nil: undefined }),
        attributes: fc.dictionary(fc.constantFrom('corp', 'lab', 'dmz'), attr),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(entry, targets, settings, (e, enforcedBy, s) => {
        const first = state(e, enforcedBy, s);
        const { entry: after, names } = runWithNames(first);
        expect(planIndicator({ ...first, entry: after, names, at: T1 + 60 })).toEqual([]);
        if (after !== undefined) expect(decodeEntry(encodeEntry(after))).toEqual(after);
      }),
    );
  });
});
