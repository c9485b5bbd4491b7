/**
 * Consistent before destructive (DESIGN invariant 9). Entra is eventually consistent: after a write,
 * reads (and Graph's own preconditions) see the old and the new version for a while, and after a
 * delete a mixture of 404 and 200 (Terraform azuread's maintainers). So before a destructive step
 * the caller reads until `confirmations` reads in a row agree, and a destructive request Graph still
 * refuses (400: location trusted / referenced) is retried with backoff. Every wait is bounded by
 * `timeoutMs` and reported (`ConsistencyWaitReport`); when the bound is reached the caller gets
 * GraphNotConsistentError naming what it waited for.
 *
 * Defaults (DEFAULT_CONSISTENCY_POLICY): 3 agreeing reads in a row, 1 s apart at first, the gap after
 * a disagreeing read doubling to at most 10 s, at most 180 s per wait. Terraform's provider asks for 5
 * agreeing reads at least 5 s apart; 3 keeps the request count down at Microsoft's 1 request/s while
 * still requiring the answer to hold over a few seconds. The bound per wait is the target's
 * `consistencyTimeout` (configuration, default 3m; `targetConsistencyPolicy`, used by graph-client.ts);
 * callers may pass a policy over it.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { DEFAULT_CONSISTENCY_TIMEOUT_MS, type TargetConfig } from '../config/schema.ts';
import { GraphNotConsistentError, type ConsistencyWaitReport } from './errors/graph-not-consistent-error.ts';

export interface ConsistencyPolicy {
  /** Agreeing reads in a row that count as consistent. */
  confirmations: number;
  /** Gap between reads while they agree, and the first gap after a disagreeing read. */
  pollMs: number;
  /** Largest gap after disagreeing reads (the gap doubles). */
  maxPollMs: number;
  /** Longest wait, in total, for one condition. */
  timeoutMs: number;
}

export const DEFAULT_CONSISTENCY_POLICY: ConsistencyPolicy = Object.freeze({
  confirmations: 3,
  pollMs: 1000,
  maxPollMs: 10_000,
  timeoutMs: DEFAULT_CONSISTENCY_TIMEOUT_MS,
});

/** Receives one report per wait (for run summaries). */
export type ConsistencyObserver = (report: ConsistencyWaitReport) => void;

export interface WaitOptions {
  policy?: Partial<ConsistencyPolicy> | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  onWait?: ConsistencyObserver | undefined;
  /** Called between reads (e.g. to renew a lock). */
  heartbeat?: (() => Promise<void>) | undefined;
}

export function consistencyPolicy(p?: Partial<ConsistencyPolicy>): ConsistencyPolicy {
  return { ...DEFAULT_CONSISTENCY_POLICY, ...p };
}

/** The policy of a target's waits: the defaults bounded by its `consistencyTimeout`, then `over`. */
export function targetConsistencyPolicy(target: Pick<TargetConfig, 'consistencyTimeout'>, over?: Partial<ConsistencyPolicy>): ConsistencyPolicy {
  return consistencyPolicy({ timeoutMs: target.consistencyTimeout, ...over });
}

/**
 * Read until `confirmations` reads in a row satisfy the condition. `read` returns `true` when the
 * condition holds, or a short description of what it saw instead (for the error).
 */
export async function waitUntilConsistent(what: string, read: () => Promise<true | string>, opts: WaitOptions = {}): Promise<ConsistencyWaitReport> {
  const policy = consistencyPolicy(opts.policy);
  const sleep = opts.sleep ?? ((ms: number) => sleepMs(ms));
  const started = Date.now();
  let reads = 0;
  let agreeing = 0;
  let gap = policy.pollMs;
  let lastSeen: string | undefined;
  for (;;) {
    const seen = await read();
    reads += 1;
    if (seen === true) {
      agreeing += 1;
      gap = policy.pollMs;
      if (agreeing >= policy.confirmations) break;
    } else {
      agreeing = 0;
      lastSeen = seen;
    }
    const waited = Date.now() - started;
    if (waited + gap > policy.timeoutMs) throw new GraphNotConsistentError({ what, waitedMs: waited, reads }, policy.timeoutMs, lastSeen);
    await sleep(gap);
    await opts.heartbeat?.();
    if (seen !== true) gap = Math.min(gap * 2, policy.maxPollMs);
  }
  const report = { what, waitedMs: Date.now() - started, reads };
  opts.onWait?.(report);
  return report;
}

/**
 * Run a destructive request; while `refused(error)` says Graph refused it for a precondition that
 * replication will satisfy, retry with the doubling gap, bounded by the policy's timeout.
 */
export async function retryWhileRefused<T>(
  what: string,
  attempt: () => Promise<T>,
  refused: (e: unknown) => boolean,
  opts: WaitOptions = {},
): Promise<T> {
  const policy = consistencyPolicy(opts.policy);
  const sleep = opts.sleep ?? ((ms: number) => sleepMs(ms));
  const started = Date.now();
  let tries = 0;
  let gap = policy.pollMs;
  for (;;) {
    try {
      const out = await attempt();
      if (tries > 0) opts.onWait?.({ what, waitedMs: Date.now() - started, reads: tries });
      return out;
    } catch (e) {
      if (!refused(e)) throw e;
      tries += 1;
      const waited = Date.now() - started;
      if (waited + gap > policy.timeoutMs) {
        throw new GraphNotConsistentError({ what, waitedMs: waited, reads: tries }, policy.timeoutMs, (e as Error).message);
      }
      await sleep(gap);
      await opts.heartbeat?.();
      gap = Math.min(gap * 2, policy.maxPollMs);
    }
  }
}
