/**
 * Every value of the bad-input corpus (test/fixtures/corpus) through parseIndicator under the default
 * safety options: the documented reject reason, or the canonical CIDRs and warnings. The corpus itself
 * must cover at least 50 kinds and every reject and warning code.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RANGE_OPTIONS, REJECT_CODES, WARNING_CODE_LIST, isRejectCode, isWarningCode, parseIndicator } from '../../src/ranges/index.ts';
import { loadCorpus } from '../fixtures/corpus/corpus.ts';

const corpus = loadCorpus();

describe('bad-input corpus', () => {
  it('has at least 50 distinct kinds, valid codes, and covers every reject and warning code', () => {
    const kinds = corpus.map((e) => e.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.length).toBeGreaterThanOrEqual(50);
    const rejects = new Set<string>();
    const warnings = new Set<string>();
    for (const e of corpus) {
      if ('reject' in e.expect) {
        expect(isRejectCode(e.expect.reject), e.kind).toBe(true);
        rejects.add(e.expect.reject);
      } else {
        for (const w of e.expect.warnings) {
          expect(isWarningCode(w), e.kind).toBe(true);
          warnings.add(w);
        }
      }
    }
    expect([...rejects].sort()).toEqual([...REJECT_CODES].sort());
    expect([...warnings].sort()).toEqual([...WARNING_CODE_LIST].sort());
  });

  it.each(corpus.map((e) => [e.kind, e] as const))('%s', (_kind, e) => {
    const r = parseIndicator(e.value, e.type, DEFAULT_RANGE_OPTIONS);
    if ('reject' in e.expect) {
      expect(r).toMatchObject({ ok: false, reason: e.expect.reject });
      // The message names the value (quoted, cut when long) and says what is wrong.
      if (!r.ok) {
        expect(r.message.startsWith('"')).toBe(true);
        expect(r.message.length).toBeLessThan(400);
      }
    } else {
      expect(r).toEqual({ ok: true, cidrs: e.expect.accept, family: expect.any(Number), warnings: e.expect.warnings });
    }
  });
});
