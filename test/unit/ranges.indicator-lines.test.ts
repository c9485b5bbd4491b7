import { describe, expect, it } from 'vitest';
import { CidrStore } from '../../src/ranges/cidr-store.ts';
import { forEachIndicatorValue, IndicatorLineSplitter, indicatorValuesOf, MAX_LINE_BYTES, parseIndicatorLine } from '../../src/ranges/indicator-lines.ts';
import { IndicatorMerge } from '../../src/ranges/indicator-merge.ts';
import { inferIndicatorType } from '../../src/ranges/infer-indicator-type.ts';
import { storeOf } from '../../src/ranges/numeric-cidr.ts';
import { printableText } from '../../src/ranges/printable-text.ts';
import { splitBroaderThan, splitStoreBroaderThan } from '../../src/ranges/split-broader-than.ts';
import { subtractCidrs, subtractStoresToStore } from '../../src/ranges/subtract-cidrs.ts';

/** Every value the splitter yields, with line numbers, feeding `bytes` in chunks of `step`. */
function values(bytes: Uint8Array, step = bytes.length || 1): { values: Array<[number, string]>; overlong: number[]; encoding: string; lines: number } {
  const out: Array<[number, string]> = [];
  const overlong: number[] = [];
  const s = new IndicatorLineSplitter({
    lines: (buf, from, to, first) => forEachIndicatorValue(buf, from, to, first, (v, line) => out.push([line, v])),
    overlong: (line) => overlong.push(line),
  });
  for (let i = 0; i < bytes.length; i += step) s.push(Buffer.from(bytes.subarray(i, i + step)));
  s.end();
  return { values: out, overlong, encoding: s.encoding, lines: s.lineCount };
}

const utf8 = (t: string) => Buffer.from(t, 'utf8');

describe('parseIndicatorLine (the one line rule of file sources and ranges merge)', () => {
  it('keeps the first token, drops blanks, comments, BOM and whitespace', () => {
    expect(parseIndicatorLine('8.8.8.8  # resolver')).toBe('8.8.8.8');
    expect(parseIndicatorLine('\uFEFF 1.1.1.1\t')).toBe('1.1.1.1');
    expect(parseIndicatorLine('  # c')).toBeUndefined();
    expect(parseIndicatorLine('')).toBeUndefined();
  });
});

describe('parseIndicatorLine (moved from the file source tests)', () => {
  it('ignores blanks and comments, strips trailing comments, BOM and whitespace', () => {
    expect(parseIndicatorLine('')).toBeUndefined();
    expect(parseIndicatorLine('   ')).toBeUndefined();
    expect(parseIndicatorLine('# a comment')).toBeUndefined();
    expect(parseIndicatorLine('   # indented comment')).toBeUndefined();
    expect(parseIndicatorLine('\uFEFF198.51.100.7')).toBe('198.51.100.7');
    expect(parseIndicatorLine('  198.51.100.7  # scanner')).toBe('198.51.100.7');
    expect(parseIndicatorLine('2001:db8::/32\tsome note')).toBe('2001:db8::/32');
  });
});

describe('inferIndicatorType (moved from the file source tests)', () => {
  it('infers the three types and nothing else', () => {
    expect(inferIndicatorType('198.51.100.7').type).toBe('IP Address');
    expect(inferIndicatorType('2001:db8::1').type).toBe('IPv6 Address');
    expect(inferIndicatorType('198.51.100.0/24').type).toBe('CIDR Block');
    expect(inferIndicatorType('2001:db8::/32').type).toBe('CIDR Block');
    expect(inferIndicatorType('example.com').type).toBeUndefined();
    expect(inferIndicatorType('999.1.1.1').type).toBeUndefined();
    expect(inferIndicatorType('1.2.3.4/x').type).toBeUndefined();
  });
});

describe('IndicatorLineSplitter', () => {
  it('ends lines at LF, CRLF and a lone CR, whatever the chunking', () => {
    const text = utf8('1.1.1.1\r2.2.2.2\r\n3.3.3.3\n\r4.4.4.4\r');
    for (const step of [1, 2, 3, 5, 100]) {
      const r = values(text, step);
      expect(r.values).toEqual([
        [1, '1.1.1.1'],
        [2, '2.2.2.2'],
        [3, '3.3.3.3'],
        [5, '4.4.4.4'],
      ]);
      expect(r.lines).toBe(5);
    }
  });

  it('decodes UTF-16 with a BOM (LE, BE) or sniffed from NUL bytes, whatever the chunking', () => {
    const text = '# list\r\n198.51.100.7 # x\r\n2001:db8::1\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le).swap16();
    const bare = Buffer.from(text, 'utf16le');
    for (const [bytes, enc] of [[le, 'utf-16le'], [be, 'utf-16be'], [bare, 'utf-16le']] as const) {
      for (const step of [1, 3, 1000]) {
        const r = values(bytes, step);
        expect([enc, step, r.encoding, r.values]).toEqual([enc, step, enc, [[2, '198.51.100.7'], [3, '2001:db8::1']]]);
      }
    }
    expect(values(utf8('1.1.1.1\n')).encoding).toBe('utf-8');
  });

  it('reports an over-long line by number and skips it', () => {
    const r = values(utf8(`1.1.1.1\n${'9'.repeat(MAX_LINE_BYTES * 3)}\n2.2.2.2`), 4096);
    expect(r.overlong).toEqual([2]);
    expect(r.values).toEqual([
      [1, '1.1.1.1'],
      [3, '2.2.2.2'],
    ]);
  });
});

describe('indicatorValuesOf (a whole small file: the --never-block list)', () => {
  it('gives what the splitter gives, and leaves its input as it was', () => {
    const text = '# egress\r8.8.8.8  # resolver\r\n\nexample.com\r2001:db8::/32 office';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    for (const bytes of [utf8(text), le]) {
      const before = Buffer.from(bytes);
      const r = indicatorValuesOf(bytes);
      expect(r.values).toEqual([
        { line: 2, text: '8.8.8.8', cut: false },
        { line: 4, text: 'example.com', cut: false },
        { line: 5, text: '2001:db8::/32', cut: false },
      ]);
      expect(r.values.map((v) => [v.line, v.text])).toEqual(values(bytes).values);
      expect(Buffer.compare(bytes, before)).toBe(0);
    }
  });
});

describe('IndicatorMerge', () => {
  it('accepts what the file source accepts (trailing comments) and reports rejections with line numbers', () => {
    const rejected: Array<[number, string, string]> = [];
    const m = new IndicatorMerge({ minPrefixV4: 9, minPrefixV6: 24, allowReserved: false }, { rejected: (line, v, code) => rejected.push([line, v, code]) });
    m.push(utf8('8.8.8.8  # resolver\n# c\nexample.com\r1.1.1.1\n'));
    m.end();
    expect(m.acc.toCidrs()).toEqual(['1.1.1.1/32', '8.8.8.8/32']);
    expect(rejected).toEqual([[3, 'example.com', 'NOT_AN_ADDRESS']]);
    expect([m.lines, m.skipped]).toEqual([4, 1]);
  });

  it('finalStore subtracts never-block and cuts merged blocks back to the floor', () => {
    const m = new IndicatorMerge({ minPrefixV4: 9, minPrefixV6: 24, allowReserved: false });
    m.push(utf8('2.0.0.0/9\n2.128.0.0/9\n3.0.0.0/9\n8.8.8.8\n'));
    m.end();
    expect(m.finalStore().toCidrs()).toEqual(['2.0.0.0/9', '2.128.0.0/9', '3.0.0.0/9', '8.8.8.8/32']);
    expect(m.finalStore(storeOf(['2.0.0.0/10'])).toCidrs()).toEqual(['2.64.0.0/10', '2.128.0.0/9', '3.0.0.0/9', '8.8.8.8/32']);
  });
});

describe('store operations', () => {
  it('splitStoreBroaderThan matches splitBroaderThan and is not merged back', () => {
    const cidrs = ['2.0.0.0/7', '8.8.8.0/24', '2600::/7', '2a00::/16'];
    const store = storeOf(cidrs);
    store.collapse();
    const split = splitStoreBroaderThan(store, 9, 9);
    expect(split.toCidrs()).toEqual(splitBroaderThan(store.toCidrs(), 9, 9));
    expect(split.toCidrs()).toHaveLength(4 + 1 + 4 + 1);
    const none = new CidrStore();
    none.addV4(0x08080800, 24);
    expect(splitStoreBroaderThan(none, 9, 9)).toBe(none);
  });

  it('subtractStoresToStore matches subtractCidrs', () => {
    const set = ['8.8.8.0/24', '1.1.1.1', '2606:4700::/32', '9.9.9.9'];
    const remove = ['8.8.8.8', '2606:4700::1', '9.9.9.9'];
    expect(subtractStoresToStore(storeOf(set), storeOf(remove)).toCidrs()).toEqual(subtractCidrs(set, remove));
  });
});

describe('printableText (the one escape for shown input)', () => {
  it('escapes C0, DEL, C1, bidi and zero-width characters and backslashes, and cuts long text', () => {
    expect(printableText('\u001b[31mred\u0007')).toBe('\\x1b[31mred\\x07');
    expect(printableText('a\u009bb\u007f')).toBe('a\\x9bb\\x7f');
    expect(printableText('\u202eevil\u200b')).toBe('\\u{202E}evil\\u{200B}');
    expect(printableText('a\\x1b')).toBe('a\\\\x1b');
    expect(printableText('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
    expect(printableText('198.51.100.7')).toBe('198.51.100.7');
  });
});
