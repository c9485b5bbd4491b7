/** tightHeap: V8's heap growth held at TIGHT_HEAP_PERCENT while any section runs, its default restored after the last. */
import type * as v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';

const flags = vi.hoisted(() => [] as string[]);
vi.mock('node:v8', async (importOriginal) => ({
  ...(await importOriginal<typeof v8>()),
  setFlagsFromString: (f: string) => void flags.push(f),
}));

const { TIGHT_HEAP_PERCENT, tightHeap } = await import('../../src/observability/heap-release.ts');

describe('tightHeap', () => {
  it('sets the growth once for overlapping sections and restores the default when the last ends, also on failure', async () => {
    let release: () => void = () => undefined;
    const first = tightHeap(() => new Promise<string>((resolve) => (release = () => resolve('a'))));
    const second = tightHeap(() => Promise.reject(new Error('boom')));
    await expect(second).rejects.toThrow('boom');
    expect(flags).toEqual([`--heap-growing-percent=${TIGHT_HEAP_PERCENT}`]); // the first still runs
    release();
    await expect(first).resolves.toBe('a');
    expect(flags).toEqual([`--heap-growing-percent=${TIGHT_HEAP_PERCENT}`, '--heap-growing-percent=0']);
    await expect(tightHeap(() => Promise.reject(new Error('alone')))).rejects.toThrow('alone');
    expect(flags.slice(2)).toEqual([`--heap-growing-percent=${TIGHT_HEAP_PERCENT}`, '--heap-growing-percent=0']);
    expect(TIGHT_HEAP_PERCENT).toBeGreaterThan(0);
  });
});
