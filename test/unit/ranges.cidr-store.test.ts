import { describe, expect, it } from 'vitest';
import { CidrStore } from '../../src/ranges/cidr-store.ts';
import { mergeCidrs } from '../../src/ranges/merge-cidrs.ts';

describe('CidrStore', () => {
  it('collapses in place when full instead of growing, so memory follows distinct ranges', () => {
    const store = new CidrStore(16, 16);
    const all: string[] = [];
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 8; i++) {
        store.addV4(0x08080800 + i, 32); // the same 8 addresses again and again
        all.push(`8.8.8.${i}`);
      }
    }
    expect(store.toCidrs()).toEqual(['8.8.8.0/29']);
    // Capacity stayed at its 16-entry floor: the private arrays never doubled.
    expect((store as unknown as { v4s: Uint32Array }).v4s.length).toBe(16);
    expect(mergeCidrs(all)).toEqual(['8.8.8.0/29']);
  });

  it('still grows when collapsing frees too little', () => {
    const store = new CidrStore(16, 16);
    for (let i = 0; i < 100; i++) store.addV4(i * 4, 32); // nothing merges
    expect(store.sizeV4).toBe(100);
    expect(store.toCidrs()).toHaveLength(100);
    for (let i = 0; i < 100; i++) store.addV6(0x26060000, 0, 0, i * 2, 128);
    expect(store.toCidrs()).toHaveLength(200);
  });
});
