import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subtractEach } from '../../src/ranges/index.ts';
import { InvalidCidrError } from '../../src/ranges/errors/invalid-cidr-error.ts';
import { adversarialList, blockList } from '../fixtures/ranges/arbitraries.ts';
import { blockText, refSubtract, unmapped } from '../fixtures/ranges/reference-cidr-set.ts';

describe('subtractEach', () => {
  it('answers per input, in input order: undefined when untouched, the remainder when cut, [] when covered', () => {
    expect(subtractEach(['9.9.9.0/24', '8.8.8.0/30', '1.1.1.1', '2001:db8::/127'], ['8.8.8.1', '9.0.0.0/8', '2001:db8::1'])).toEqual([
      [],
      ['8.8.8.0/32', '8.8.8.2/31'],
      undefined,
      ['2001:db8::/128'],
    ]);
  });

  it('does not merge its inputs: adjacent and overlapping ones each get their own remainder', () => {
    expect(subtractEach(['10.0.0.0/25', '10.0.0.128/25', '10.0.0.0/24'], ['10.0.0.127'])).toEqual([
      ['10.0.0.0/26', '10.0.0.64/27', '10.0.0.96/28', '10.0.0.112/29', '10.0.0.120/30', '10.0.0.124/31', '10.0.0.126/32'],
      undefined,
      ['10.0.0.0/26', '10.0.0.64/27', '10.0.0.96/28', '10.0.0.112/29', '10.0.0.120/30', '10.0.0.124/31', '10.0.0.126/32', '10.0.0.128/25'],
    ]);
  });

  it('with nothing to remove leaves every input untouched', () => {
    expect(subtractEach(['1.1.1.1/32', '2001:db8::/32'], [])).toEqual([undefined, undefined]);
  });

  it('throws InvalidCidrError on bad text in either list', () => {
    expect(() => subtractEach(['x'], ['1.1.1.1'])).toThrow(InvalidCidrError);
    expect(() => subtractEach([], ['1.2.3.4/40'])).toThrow(/BAD_PREFIX/);
  });

  it("equals the reference per input: each input's own (input - remove), undefined exactly when they do not meet", () => {
    for (const lists of [blockList, adversarialList]) {
      fc.assert(
        fc.property(lists, lists, (set, remove) => {
          const got = subtractEach(set.map(blockText), remove.map(blockText));
          expect(got).toHaveLength(set.length);
          set.forEach((b, i) => {
            const want = refSubtract([unmapped(b)], remove.map(unmapped)).map(blockText);
            const untouched = want.length === 1 && want[0] === blockText(unmapped(b));
            expect(got[i] === undefined).toBe(untouched);
            if (!untouched) expect(got[i]).toEqual(want);
          });
        }),
        { numRuns: 300 },
      );
    }
  });
});
