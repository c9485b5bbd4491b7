import { describe, expect, it } from 'vitest';
import { paceIntervalMs, paceKeys } from '../../src/graph/graph-pacer.ts';
import { equalJitterDelay } from '../../src/graph/graph-request.ts';
import { DEFAULT_REPLICATION_POLICY } from '../../src/graph/graph-client.ts';

describe('pacing arithmetic', () => {
  it('spaces slots by 1000/rps plus a 10% (>= 100 ms, or half the interval above 5/s) margin', () => {
    expect(paceIntervalMs(1)).toBe(1100);
    expect(paceIntervalMs(2)).toBe(600);
    expect(paceIntervalMs(0.5)).toBe(2200);
    expect(paceIntervalMs(5)).toBe(300);
    expect(paceIntervalMs(20)).toBe(75);
    expect(paceIntervalMs(100)).toBe(15);
    expect(() => paceIntervalMs(0)).toThrow(RangeError);
  });
  it('keys are per tenant under the prefix', () => {
    expect(paceKeys('tq-entra', 'T1')).toEqual({ pace: 'tq-entra:graph:pace:t1', blocked: 'tq-entra:graph:blocked:t1', streak: 'tq-entra:graph:throttle-streak:t1' });
  });
  it('replication backoff grows, stays within half..all of the ceiling and is capped', () => {
    const p = DEFAULT_REPLICATION_POLICY;
    expect(equalJitterDelay(1, p, () => 0)).toBe(500);
    expect(equalJitterDelay(1, p, () => 1)).toBe(1000);
    expect(equalJitterDelay(3, p, () => 0)).toBe(2000);
    expect(equalJitterDelay(20, p, () => 1)).toBe(30_000);
  });
});
