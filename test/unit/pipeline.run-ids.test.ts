import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ingestJobId, isSafeId, newRunId, parseRunId, parseStageId, stageId } from '../../src/pipeline/run-ids.ts';

describe('run ids', () => {
  it('are safe as BullMQ custom job ids and Redis key parts, and parse back to their kind and start', () => {
    fc.assert(
      fc.property(fc.constantFrom('collect' as const, 'reconcile' as const), fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 1, max: 50 }), fc.nat(100_000), (kind, now, attempt, chunk) => {
        const id = newRunId(kind, now);
        expect(id).not.toContain(':');
        expect(isSafeId(id)).toBe(true);
        expect(parseRunId(id)).toEqual({ kind, startedMs: Math.floor(now / 1000) * 1000 });
        const collectRun = newRunId('collect', now);
        const stage = stageId(collectRun, attempt);
        expect(parseStageId(stage)).toEqual({ runId: collectRun, attempt });
        const job = ingestJobId(stage, chunk);
        expect(job).not.toContain(':');
        expect(isSafeId(job)).toBe(true);
      }),
    );
  });

  it('never derive from a scheduled job id (which holds colons BullMQ refuses in custom ids)', () => {
    const id = newRunId('collect');
    expect(id).toMatch(/^collect-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(parseRunId('collect-repeat:collect:tq-east:6d4c1f0e2b9a8c7d:1795994087322')).toBeUndefined();
    expect(new Set(Array.from({ length: 1000 }, () => newRunId('reconcile'))).size).toBe(1000);
  });

  it('refuse attempts that are not positive integers', () => {
    expect(() => stageId(newRunId('collect'), 0)).toThrow(RangeError);
    expect(() => stageId(newRunId('collect'), 1.5)).toThrow(RangeError);
  });
});
