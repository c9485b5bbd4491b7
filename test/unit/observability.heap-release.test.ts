/** releaseHeap: a full collection only after the old generation grew by RELEASE_MIN_GROWTH_MB. */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RELEASE_MIN_GROWTH_MB, releaseHeap } from '../../src/observability/heap-release.ts';

const oldMb = () =>
  getHeapSpaceStatistics()
    .filter((s) => s.space_name === 'old_space' || s.space_name === 'large_object_space')
    .reduce((n, s) => n + s.space_used_size, 0) / 2 ** 20;

describe('releaseHeap', () => {
  it('collects the garbage of a large working set, then declines until the old generation grows again', () => {
    releaseHeap(); // a baseline: whatever the test runner left
    // One array of 10 million doubles: 80 MB, straight into the large-object space, then dropped.
    let big: number[] | undefined = new Array<number>(10_000_000).fill(1.5);
    expect(big.length).toBe(10_000_000);
    const before = oldMb();
    big = undefined;
    expect(big).toBeUndefined();
    expect(releaseHeap()).toBe(true);
    expect(before - oldMb()).toBeGreaterThan(60);
    // A few MB more is not worth a pause.
    const small = Array.from({ length: 50_000 }, (_, i) => ({ i }));
    expect(releaseHeap()).toBe(false);
    expect(small).toHaveLength(50_000);
    expect(RELEASE_MIN_GROWTH_MB).toBeGreaterThan(8);
  });

  it("counts the external memory of typed arrays (the range engine's columns) as collectable", () => {
    releaseHeap();
    const external = () => getHeapStatistics().external_memory / 2 ** 20;
    let columns: Float64Array | undefined = new Float64Array(10_000_000).fill(2.5);
    expect(columns[9_999_999]).toBe(2.5);
    const before = external();
    columns = undefined;
    expect(columns).toBeUndefined();
    expect(releaseHeap()).toBe(true);
    expect(before - external()).toBeGreaterThan(60);
  });
});
