/** widerKeepTop: how far a fan-in cut below the capacity by the subtractions widens its cut-off. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { widerKeepTop } from '../../src/reconcile/reconcile-target.ts';

describe('widerKeepTop', () => {
  it('always moves past every range already held (ties included), or to the whole fan-in', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400_000 }), fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 1, max: 2_000_000 }), (capacity, kept, extra) => {
        const held = capacity + extra; // held ≥ keepTop = capacity
        const total = held + extra;
        const next = widerKeepTop({ held, kept: Math.min(kept, capacity - 1), capacity, total });
        if (next === undefined) return true;
        return next >= held + 64 && next < total;
      }),
    );
  });

  it('scales by the share the subtractions kept, plus a tenth', () => {
    // Half of 1,000 held survived against a capacity of 800: 1,000 × 800 / 500 × 1.1 = 1,760.
    expect(widerKeepTop({ held: 1000, kept: 500, capacity: 800, total: 100_000 })).toBe(1760);
    expect(widerKeepTop({ held: 1000, kept: 0, capacity: 800, total: 100_000 })).toBeUndefined(); // nothing survived: 880,000 ≥ total
    expect(widerKeepTop({ held: 1000, kept: 999, capacity: 1000, total: 1050 })).toBeUndefined();
  });
});
