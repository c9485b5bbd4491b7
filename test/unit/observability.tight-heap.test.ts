/** tightHeap: V8's heap growth held at TIGHT_HEAP_PERCENT while any section runs, its default restored after the last. */
import { execFileSync } from 'node:child_process';
import type * as v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';

const flags = vi.hoisted(() => [] as string[]);
vi.mock('node:v8', async (importOriginal) => ({
  ...(await importOriginal<typeof v8>()),
  setFlagsFromString: (f: string) => void flags.push(f),
}));

const { TIGHT_HEAP_PERCENT, enterTightHeap, tightHeap } = await import('../../src/observability/heap-release.ts');

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

  it('ends a section entered by hand once, however often its end is called (the reconcile ends it before the apply and again in finally)', () => {
    flags.length = 0;
    const endA = enterTightHeap();
    const endB = enterTightHeap();
    endA();
    endA(); // again: must not end B's section
    expect(flags).toEqual([`--heap-growing-percent=${TIGHT_HEAP_PERCENT}`]);
    endB();
    endB();
    expect(flags).toEqual([`--heap-growing-percent=${TIGHT_HEAP_PERCENT}`, '--heap-growing-percent=0']);
  });

  it('uses a flag this Node knows (setGrowth swallows errors: a misspelt flag would switch the feature off silently)', () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    expect(options).toMatch(/^\s*--heap-growing-percent\b.*$/m);
  });
});
