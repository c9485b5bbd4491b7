/**
 * consistency.ts: reads until several in a row agree (a disagreeing read starts the count again), a
 * bounded wait that ends in ERR_GRAPH_NOT_CONSISTENT naming what was waited for, and refused
 * destructive requests retried until they pass or the bound is reached; the bound is the target's
 * `consistencyTimeout` (configuration).
 */
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONSISTENCY_POLICY, retryWhileRefused, targetConsistencyPolicy, waitUntilConsistent, type ConsistencyPolicy } from '../../src/graph/consistency.ts';
import { GraphNotConsistentError } from '../../src/graph/errors/graph-not-consistent-error.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';

const noSleep = async () => undefined;

describe('waitUntilConsistent', () => {
  it('needs `confirmations` agreeing reads in a row: a stale read in between starts the count again', async () => {
    const answers: (true | string)[] = [true, 'isTrusted: true', true, true, true];
    const reports: unknown[] = [];
    const report = await waitUntilConsistent('x to read untrusted', async () => answers.shift() ?? 'exhausted', {
      policy: { confirmations: 3 },
      sleep: noSleep,
      onWait: (r) => reports.push(r),
    });
    expect(report.reads).toBe(5);
    expect(reports).toHaveLength(1);
  });

  it('is bounded: ERR_GRAPH_NOT_CONSISTENT says what was waited for and what was seen last', async () => {
    let reads = 0;
    const err = await waitUntilConsistent(
      'policy p to no longer reference named location l',
      async () => {
        reads += 1;
        return 'still references l';
      },
      { policy: { confirmations: 3, pollMs: 5, maxPollMs: 5, timeoutMs: 60 } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphNotConsistentError);
    expect((err as GraphNotConsistentError).code).toBe('ERR_GRAPH_NOT_CONSISTENT');
    expect((err as Error).message).toContain('policy p to no longer reference named location l');
    expect((err as Error).message).toContain('still references l');
    expect((err as GraphNotConsistentError).retryable).toBe(true);
    expect(reads).toBeGreaterThan(1);
  });

  it('names the bound it was held to, not the time waited (which stops short of it: CI once read "within 9s" for a 10 s timeout)', async () => {
    const err = await waitUntilConsistent('x', async () => 'not yet', { policy: { confirmations: 1, pollMs: 40, maxPollMs: 40, timeoutMs: 300 } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^Graph did not become consistent within 0\.3s: waited for x \(0\.\d s, \d+ read\(s\); last seen: not yet\)/);
    expect((err as GraphNotConsistentError).waitedMs).toBeLessThan(300);
    expect((err as GraphNotConsistentError).details).toMatchObject({ timeoutMs: 300 });
  });
});

describe('retryWhileRefused', () => {
  it('retries a refused request until Graph accepts it and reports the wait', async () => {
    let calls = 0;
    const reports: { reads: number }[] = [];
    const out = await retryWhileRefused(
      'delete l',
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('400 trusted');
        return 'done';
      },
      () => true,
      { sleep: noSleep, onWait: (r) => reports.push(r) },
    );
    expect(out).toBe('done');
    expect(reports[0]?.reads).toBe(2);
  });

  it('rethrows other errors at once and gives up at the bound', async () => {
    const other = await retryWhileRefused('d', async () => Promise.reject(new Error('boom')), () => false, { sleep: noSleep }).catch((e: unknown) => e);
    expect((other as Error).message).toBe('boom');
    const bounded = await retryWhileRefused('d', async () => Promise.reject(new Error('400')), () => true, { policy: { pollMs: 5, maxPollMs: 5, timeoutMs: 30 } }).catch(
      (e: unknown) => e,
    );
    expect(bounded).toBeInstanceOf(GraphNotConsistentError);
  });
});

describe('consistencyTimeout (configuration)', () => {
  const target = (extra: Record<string, unknown>) => configFrom({ targets: [baseTarget(extra)] }).targets[0]!;

  /** Wait on a condition that never holds, on a fake clock that each sleep moves on. */
  async function waitNeverConsistent(policy: Partial<ConsistencyPolicy>): Promise<GraphNotConsistentError> {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const sleep = async (ms: number) => void vi.setSystemTime(Date.now() + ms);
      const err = await waitUntilConsistent('l to read isTrusted: false', async () => 'isTrusted: true', { policy, sleep }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphNotConsistentError);
      return err as GraphNotConsistentError;
    } finally {
      vi.useRealTimers();
    }
  }

  it('bounds every wait of the target: 10s ends the wait within 10 s, the default (3m) within 180 s', async () => {
    const short = targetConsistencyPolicy(target({ consistencyTimeout: '10s' }));
    expect(short.timeoutMs).toBe(10_000);
    const shortErr = await waitNeverConsistent(short);
    expect(shortErr.waitedMs).toBeLessThanOrEqual(10_000);
    expect(shortErr.waitedMs).toBeGreaterThan(5000);

    const byDefault = targetConsistencyPolicy(target({}));
    expect(byDefault).toEqual(DEFAULT_CONSISTENCY_POLICY);
    const defaultErr = await waitNeverConsistent(byDefault);
    expect(defaultErr.waitedMs).toBeGreaterThan(150_000);
    expect(defaultErr.waitedMs).toBeLessThanOrEqual(180_000);
  });

  it('a policy passed by the caller still wins over the target\'s bound', () => {
    expect(targetConsistencyPolicy(target({ consistencyTimeout: '10s' }), { timeoutMs: 500 }).timeoutMs).toBe(500);
  });
});
