import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EmulatorBehaviour, EmulatorContext } from '../../src/emulators/threatq/emulator-context.ts';
import { EmulatorStore } from '../../src/emulators/threatq/emulator-store.ts';
import { hash32 } from '../../src/emulators/threatq/indicator-generator.ts';
import { indicatorJson, indicatorText } from '../../src/emulators/threatq/indicator-json.ts';

// The collection pages write each indicator's JSON text directly; it must be exactly the text of the
// object form, for every value, name, score, time and behaviour.
const row = fc.record({
  value: fc.string({ unit: 'grapheme', maxLength: 40 }),
  type: fc.nat({ max: 3 }),
  status: fc.nat({ max: 2 }),
  score: fc.option(fc.integer({ min: 0, max: 10 })),
  created: fc.nat({ max: 0xffff_ffff }),
  updated: fc.nat({ max: 0xffff_ffff }),
});
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });

describe('emulator indicator JSON', () => {
  it('writes the same text as JSON.stringify of the object form', () => {
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 20 }),
        fc.tuple(name, name, name, name),
        fc.tuple(name, name, name),
        fc.boolean(),
        fc.boolean(),
        (rows, typeNames, statusNames, idsOnly, scoreAsObject) => {
          const store = new EmulatorStore();
          store.setTypes(typeNames.map((n, i) => ({ name: n, class: i === 3 ? 'host"ile' : 'network' })), (i) => 10 + i);
          store.setStatuses(statusNames.map((n) => ({ name: n, description: `${n}\\\n"d"` })), (i) => 20 + i);
          rows.forEach((x, i) => store.rows.push(1000 + i, x.value, x.type, x.status, x.score, x.created, x.updated));
          const behaviour: EmulatorBehaviour = { tokenTtlSeconds: 60, lowercaseTokenType: false, emptyPageDataAsObject: false, idsOnly, scoreAsObject };
          const ctx = { store, behaviour } as unknown as EmulatorContext;
          for (let r = 0; r < rows.length; r += 1) {
            expect(indicatorText(ctx, r)).toBe(JSON.stringify(indicatorJson(ctx, r, false)));
            const hash = [1, 2, 3, 4].map((salt) => hash32(1000 + r, salt).toString(16).padStart(8, '0')).join('');
            expect(indicatorJson(ctx, r, false)['hash']).toBe(hash);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
