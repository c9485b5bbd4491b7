/**
 * Redis memory for benchmarks: INFO memory (used_memory, used_memory_peak) and a sampler of
 * used_memory during a run.
 *
 * The Redis a benchmark uses may be shared (tests of other people run against it), so
 * used_memory_peak is server-wide and may predate the run: the report gives the sampled rise of
 * used_memory over its value at the start of the run (what the run added at its highest), the server
 * peak before and after, and what the benchmark's own keys hold at the end (MEMORY USAGE over the key
 * prefix). Nothing here changes server state (no CONFIG RESETSTAT).
 */
import type { Redis } from 'ioredis';

export interface RedisMemoryInfo {
  used: number;
  peak: number;
}

export async function redisMemory(redis: Redis): Promise<RedisMemoryInfo> {
  const text = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

export interface RedisMemoryReport {
  baseline: number;
  sampledMax: number;
  /** sampledMax − baseline: the most the run added at once (other clients' keys included). */
  delta: number;
  peakBefore: number;
  peakAfter: number;
  /** Every sample: [epoch ms, used_memory bytes]. */
  samples: [number, number][];
}

/** Highest used_memory sampled in [from, to] (epoch ms), NaN when no sample fell in it. */
export function usedBetween(report: RedisMemoryReport, from: number, to: number): number {
  let max = NaN;
  for (const [t, v] of report.samples) if (t >= from && t <= to && !(v <= max)) max = v;
  return max;
}

export class RedisMemorySampler {
  private baseline = NaN;
  private max = 0;
  private peakBefore = NaN;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  private readonly samples: [number, number][] = [];

  constructor(private readonly redis: Redis, private readonly intervalMs = 100) {}

  async start(): Promise<this> {
    const m = await redisMemory(this.redis);
    this.baseline = m.used;
    this.max = m.used;
    this.peakBefore = m.peak;
    this.samples.push([Date.now(), m.used]);
    this.timer = setInterval(() => {
      this.pending = redisMemory(this.redis).then(
        (x) => {
          this.samples.push([Date.now(), x.used]);
          if (x.used > this.max) this.max = x.used;
        },
        () => undefined,
      );
    }, this.intervalMs);
    return this;
  }

  async stop(): Promise<RedisMemoryReport> {
    if (this.timer) clearInterval(this.timer);
    await this.pending;
    const m = await redisMemory(this.redis);
    if (m.used > this.max) this.max = m.used;
    return { baseline: this.baseline, sampledMax: this.max, delta: this.max - this.baseline, peakBefore: this.peakBefore, peakAfter: m.peak, samples: this.samples };
  }
}

/** Bytes held by the keys under `prefix` (MEMORY USAGE of each, exact for strings and hashes). */
export async function prefixMemory(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      keys += 1;
      bytes += (await redis.memory('USAGE', k, 'SAMPLES', '0')) ?? 0;
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

export function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}
