/**
 * Watches the pause a Graph 429 causes while a chaos run goes on, and checks the Graph emulator's
 * request log against it.
 *
 * - The tenant-wide block the Graph client writes after a 429 (`<prefix>:graph:blocked:<tenant>`,
 *   value = "blocked until", ms on the Redis clock; graph-pacer.ts), polled every `pollMs`. A window
 *   runs from the end of the poll that first saw it (so it is always inside the real pause:
 *   conservative) to its "until" time. Redis, the emulator and this process share one machine clock,
 *   so emulator arrival times compare directly with these windows.
 * - The reconcile queue's BullMQ rate limit (`queue.getRateLimitTtl()`), polled alongside: a 429 delays
 *   its tenant's work only (workers/job-signals.ts delays the job), so it must never be set. Every TTL
 *   seen is returned (`queueRateLimits`), for the checks to require none.
 * Poll errors (Redis restarting) are counted and the poll goes on.
 */
import type { RedisClient, RedisEndpoint } from '../../src/redis/redis-connection.ts';
import { paceKeys } from '../../src/graph/graph-pacer.ts';
import { bullConnection, createQueues } from '../../src/pipeline/queues.ts';
import type { RequestLogEntry } from '../../src/emulators/graph/graph-emulator.ts';

export interface PauseWindow {
  source: 'block-key';
  from: number;
  until: number;
}

export interface PauseWatch {
  /** `queueRateLimits`: the reconcile queue's rate-limit TTLs seen (ms); none is expected. */
  stop(): Promise<{ windows: PauseWindow[]; queueRateLimits: number[]; pollErrors: number }>;
}

export function watchPauses(endpoint: RedisEndpoint, prefix: string, tenantId: string, pollMs = 10): PauseWatch {
  const redis: RedisClient = bullConnection(endpoint);
  redis.on('error', () => undefined);
  const queues = createQueues(redis, prefix);
  for (const q of [queues.collect, queues.ingest, queues.reconcile]) q.on('error', () => undefined);
  const key = paceKeys(prefix, tenantId).blocked;
  const windows: PauseWindow[] = [];
  let pollErrors = 0;
  let running = true;
  const seenUntil = new Set<number>();
  const queueRateLimits: number[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const [blocked, ttl] = await Promise.all([redis.get(key), queues.reconcile.getRateLimitTtl()]);
        const got = Date.now();
        const until = Number(blocked ?? 0);
        if (until > got && !seenUntil.has(until)) {
          seenUntil.add(until);
          windows.push({ source: 'block-key', from: got, until });
        }
        if (ttl > 0) queueRateLimits.push(ttl);
      } catch {
        pollErrors++;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await queues.close().catch(() => undefined);
      redis.disconnect();
      return { windows, queueRateLimits, pollErrors };
    },
  };
}

export interface PauseViolation {
  request: Pick<RequestLogEntry, 'seq' | 'method' | 'path' | 'at' | 'status'>;
  window: PauseWindow;
}

/** Graph requests that arrived inside a pause window (`slackMs` of clock granularity at each end). */
export function requestsDuringPauses(log: readonly RequestLogEntry[], windows: readonly PauseWindow[], slackMs = 5): PauseViolation[] {
  const out: PauseViolation[] = [];
  for (const e of log) {
    if (e.kind !== 'graph') continue;
    const w = windows.find((x) => e.at > x.from + slackMs && e.at < x.until - slackMs);
    if (w) out.push({ request: { seq: e.seq, method: e.method, path: e.path, at: e.at, status: e.status }, window: w });
  }
  return out;
}

/**
 * For 429s that carried Retry-After: the next Graph request must come at least that long after the
 * 429's arrival (the block starts only when the answer reaches the client, so this is a lower bound).
 */
export function retryAfterViolations(log: readonly RequestLogEntry[], retryAfterMs: number, slackMs = 10): { throttledAt: number; nextAt: number }[] {
  const graph = log.filter((e) => e.kind === 'graph');
  const out: { throttledAt: number; nextAt: number }[] = [];
  for (const t of graph) {
    if (t.status !== 429) continue;
    const next = graph.find((e) => e.seq > t.seq);
    if (next && next.at - t.at < retryAfterMs - slackMs) out.push({ throttledAt: t.at, nextAt: next.at });
  }
  return out;
}

/**
 * 429s that show no pause: no block window seen starting within `withinMs` of it, and the next Graph
 * request came sooner than `minGapMs` (the client's shortest backoff, 250 ms) after it. The gap
 * fallback keeps the check honest when the poller itself was starved of CPU on a loaded machine.
 */
export function throttlesWithoutPause(log: readonly RequestLogEntry[], windows: readonly PauseWindow[], withinMs = 1000, minGapMs = 240): number[] {
  const graph = log.filter((e) => e.kind === 'graph');
  return graph
    .filter((e) => e.status === 429)
    .filter((e) => !windows.some((w) => w.from >= e.at - 5 && w.from <= e.at + withinMs && w.until > e.at))
    .filter((e) => {
      const next = graph.find((x) => x.seq > e.seq);
      return next !== undefined && next.at - e.at < minGapMs;
    })
    .map((e) => e.seq);
}
