import { describe, expect, it } from 'vitest';
import { REJECT_CODES, REJECT_REASONS, WARNING_CODES, WARNING_CODE_LIST, isRejectCode, isWarningCode, reasonCodesMarkdown } from '../../src/ranges/reason-codes.ts';

describe('reason codes', () => {
  it('every code is UPPER_SNAKE with a message, and rejections and warnings do not overlap', () => {
    for (const c of [...REJECT_CODES, ...WARNING_CODE_LIST]) expect(c).toMatch(/^[A-Z][A-Z0-9_]+$/);
    for (const c of REJECT_CODES) expect(REJECT_REASONS[c].length).toBeGreaterThan(10);
    for (const c of WARNING_CODE_LIST) expect(WARNING_CODES[c].length).toBeGreaterThan(10);
    expect(REJECT_CODES.filter((c) => (WARNING_CODE_LIST as string[]).includes(c))).toEqual([]);
  });

  it('recognises codes and prints the whole table as Markdown', () => {
    expect(isRejectCode('RESERVED')).toBe(true);
    expect(isRejectCode('HOST_BITS_CLEARED')).toBe(false);
    expect(isWarningCode('HOST_BITS_CLEARED')).toBe(true);
    expect(isRejectCode('toString')).toBe(false);
    const md = reasonCodesMarkdown();
    for (const c of [...REJECT_CODES, ...WARNING_CODE_LIST]) expect(md).toContain(`\`${c}\``);
  });
});
