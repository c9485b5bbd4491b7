import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeAccumulator } from '../../src/ranges/range-accumulator.ts';
import { parseIndicator } from '../../src/ranges/parse-indicator.ts';
import { mergeCidrs } from '../../src/ranges/merge-cidrs.ts';
import type { IndicatorType } from '../../src/ranges/domain-types.ts';
import type { RangeOptions } from '../../src/ranges/range-options.ts';

const OPTS: RangeOptions = { minPrefixV4: 8, minPrefixV6: 8, allowReserved: false };

/** Values that hit the fast path, the slow path and every rejection. */
const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('256', '010', '00', '0', '255', '999'));
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const suffix = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 34 }).map((p) => `/${p}`) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/x', '/024', '/255.255.255.0', ':80', '/8/9') },
);
const v6 = fc.constantFrom('2606:4700::1111', '2606:4700:0:0:0:0:0:1/64', 'FE80::1', 'fe80::1%eth0', '::ffff:8.8.8.8', '::ffff:10.0.0.1', '::', '2001:db8::/16', '[2606:4700::1]:443', '1::2::3', '2606:4700::/20');
const value = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(v4, suffix).map(([a, s]) => a + s) },
  { weight: 2, arbitrary: fc.tuple(v6, fc.constantFrom('', '/128', '/48', '/3')).map(([a, s]) => (a.includes('/') || a.includes(']') ? a : a + s)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(' ', '\t', '\uFEFF', ''), v4, fc.constantFrom('\r', ' ', '')).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const type = fc.constantFrom<IndicatorType | undefined>(undefined, 'IP Address', 'IPv6 Address', 'CIDR Block');
const options = fc.record({ minPrefixV4: fc.integer({ min: 0, max: 32 }), minPrefixV6: fc.integer({ min: 0, max: 128 }), allowReserved: fc.boolean() });

describe('RangeAccumulator', () => {
  it('accepts and rejects exactly like parseIndicator, and merges what it accepted', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, type), { maxLength: 80 }), options, (items, opts) => {
        const acc = new RangeAccumulator(opts, { examplesPerCode: 1000 });
        const accepted: string[] = [];
        const rejectCounts: Record<string, number> = {};
        const warnCounts: Record<string, number> = {};
        for (const [v, t] of items) {
          const want = parseIndicator(v, t, opts);
          const got = acc.add(v, t);
          expect([v, t, got]).toEqual([v, t, want.ok ? null : want.reason]);
          if (want.ok) {
            accepted.push(...want.cidrs);
            for (const w of want.warnings) warnCounts[w] = (warnCounts[w] ?? 0) + 1;
          } else {
            rejectCounts[want.reason] = (rejectCounts[want.reason] ?? 0) + 1;
          }
        }
        expect(acc.toCidrs()).toEqual(mergeCidrs(accepted));
        expect(Object.fromEntries(Object.entries(acc.rejections()).map(([k, v]) => [k, v?.count]))).toEqual(rejectCounts);
        expect(Object.fromEntries(Object.entries(acc.warnings()).map(([k, v]) => [k, v?.count]))).toEqual(warnCounts);
        expect(acc.accepted + acc.rejected).toBe(items.length);
      }),
      { numRuns: 300 },
    );
  });

  it('addBytes gives the same results as add', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), options, (values, opts) => {
        const a = new RangeAccumulator(opts);
        const b = new RangeAccumulator(opts);
        const bytes = enc.encode(`xx${values.join('\n')}\n`);
        let from = 2;
        for (const v of values) {
          const to = from + enc.encode(v).length;
          expect(b.addBytes(bytes, from, to)).toBe(a.add(v));
          from = to + 1;
        }
        expect(b.toCidrs()).toEqual(a.toCidrs());
        expect(b.rejections()).toEqual(a.rejections());
      }),
      { numRuns: 200 },
    );
  });

  it('addLines finds line ends (LF, CRLF, none at the end) and gives the same results as add per line', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.constantFrom('\n', '\r\n')), { maxLength: 60 }), fc.boolean(), options, (lines, finalNewline, opts) => {
        const values = lines.map(([v]) => v);
        // A value containing a newline would be two lines, and an empty last line without a newline is no line.
        fc.pre(values.every((v) => !v.includes('\n') && !v.endsWith('\r')) && !(values.at(-1) === '' && !finalNewline));
        const text = lines.map(([v, nl], i) => v + (i < lines.length - 1 || finalNewline ? nl : '')).join('');
        const a = new RangeAccumulator(opts);
        const want = values.map((v) => a.add(v.replace(/\r$/, '')));
        const b = new RangeAccumulator(opts);
        const got: Array<string | null> = [];
        const bytes = enc.encode(text);
        const n = b.addLines(
          bytes,
          0,
          bytes.length,
          (f, t, i) => (got[i] = b.add(new TextDecoder().decode(bytes.subarray(f, t)))),
          (code, _f, _t, i) => (got[i] = code),
        );
        expect(n).toBe(values.length);
        expect(Array.from({ length: n }, (_, i) => got[i] ?? null)).toEqual(want);
        expect(b.toCidrs()).toEqual(a.toCidrs());
      }),
      { numRuns: 200 },
    );
  });

  it('tallies rejections and warnings by code with a few examples each', () => {
    const acc = new RangeAccumulator(OPTS, { examplesPerCode: 2 });
    for (const v of ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'x', '8.8.8.9/24', '8.8.8.8']) acc.add(v);
    expect(acc.rejections()).toEqual({ RESERVED: { count: 3, examples: ['10.0.0.1', '10.0.0.2'] }, NOT_AN_ADDRESS: { count: 1, examples: ['x'] } });
    expect(acc.warnings()).toEqual({ HOST_BITS_CLEARED: { count: 1, examples: ['8.8.8.9/24'] } });
    expect(acc.accepted).toBe(2);
    expect(acc.rejected).toBe(4);
    expect(acc.toCidrs()).toEqual(['8.8.8.0/24']);
    acc.recordRejection('NOT_AN_ADDRESS', 'too long');
    expect(acc.rejections().NOT_AN_ADDRESS).toEqual({ count: 2, examples: ['x', 'too long'] });
  });

  it('returns IPv4 ascending then IPv6 ascending, and can be read twice', () => {
    const acc = new RangeAccumulator(OPTS);
    for (const v of ['2606:4700::2', '9.9.9.9', '2606:4700::3', '1.1.1.1', '1.1.1.0']) acc.add(v);
    expect(acc.toCidrs()).toEqual(['1.1.1.0/31', '9.9.9.9/32', '2606:4700::2/127']);
    acc.add('1.1.1.2/31');
    expect(acc.toCidrs()).toEqual(['1.1.1.0/30', '9.9.9.9/32', '2606:4700::2/127']);
  });
});
