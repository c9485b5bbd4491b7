/**
 * bench:grace — what the removal grace (anti-flap, issue 18) saves over a simulated week of hourly
 * runs of a churning feed. The feed starts with N ranges (default 20,000 never-adjacent /32s); every
 * hour a share of the listed ranges drops out for 1 to 6 hours and then returns (flap), a smaller share
 * leaves for good, and new ones arrive (seeded mulberry32, so both scenarios see the same feed). Each
 * hour is one reconcile (reconcileTarget, as the worker runs it) against the Graph emulator in this
 * process (unpaced, HTTPS) on a real Redis, with an injected clock one hour further each run. Run once
 * without removalGrace and once with it (default 24h); printed per scenario: Graph write requests
 * (the first sync apart), range removals and additions in Entra, re-additions (a range removed and
 * blocked again later: a flap that reached Entra), hours without a write, the most ranges held in grace.
 *
 *   npm run bench:grace -- [--ranges N] [--hours H] [--flap PCT] [--leave PCT] [--arrive PCT] [--grace 24h] [--seed S]
 *
 * Needs a Redis (REDIS_URL or 127.0.0.1:6379); uses a throw-away key prefix and cleans it up.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { createLogger, transports } from 'winston';
import { loadConfigText } from '../src/config/load-config.ts';
import type { Config, TargetConfig } from '../src/config/schema.ts';
import { startGraphEmulator, type GraphEmulator } from '../src/emulators/graph/graph-emulator.ts';
import { mulberry32 } from '../src/emulators/mulberry32.ts';
import { createGraphClient } from '../src/graph/graph-client.ts';
import type { DesiredRange } from '../src/reconcile/plan-types.ts';
import { reconcileTarget } from '../src/reconcile/reconcile-target.ts';
import { deleteKeysByPrefix } from '../src/redis/redis-scan.ts';
import { stateKeys } from '../src/state/redis-keys.ts';
import { benchTargetDoc } from './lib/bench-config.ts';

const { values: args } = parseArgs({
  options: {
    ranges: { type: 'string', default: '20000' },
    hours: { type: 'string', default: '168' },
    flap: { type: 'string', default: '2' },
    leave: { type: 'string', default: '0.2' },
    arrive: { type: 'string', default: '0.2' },
    grace: { type: 'string', default: '24h' },
    seed: { type: 'string', default: '18' },
  },
});
const N = Number(args.ranges);
const HOURS = Number(args.hours);
const FLAP = Number(args.flap) / 100;
const LEAVE = Number(args.leave) / 100;
const ARRIVE = Number(args.arrive) / 100;
const H = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00.000Z');
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const TARGET = 'corp';
const quiet = createLogger({ level: 'error', transports: [new transports.Console()] });

/** Range i: a public /32, never adjacent to another, address order = index order. */
function cidrOf(i: number): string {
  return `${21 + (i >>> 15)}.${(i >>> 7) & 255}.7.${((i & 127) << 1) + 1}/32`;
}

/** The feed, hour by hour (hour 0 = the first sync): the listed range indexes, ascending. */
function* feed(seed: number): Generator<number[]> {
  const rand = mulberry32(seed);
  const listed = new Set<number>(Array.from({ length: N }, (_, i) => i));
  const away = new Map<number, number>(); // index -> hour it returns
  let next = N;
  const pick = (from: number[], share: number): number[] => from.filter(() => rand() < share);
  for (let hour = 0; hour <= HOURS; hour += 1) {
    if (hour > 0) {
      for (const [i, back] of away) if (back <= hour) away.delete(i);
      const present = [...listed].filter((i) => !away.has(i));
      for (const i of pick(present, LEAVE)) listed.delete(i);
      for (const i of pick(present, FLAP)) if (listed.has(i)) away.set(i, hour + 1 + Math.floor(rand() * 6));
      const arrivals = Math.round(N * ARRIVE * (0.5 + rand()));
      for (let k = 0; k < arrivals; k += 1) listed.add(next++);
    }
    yield [...listed].filter((i) => !away.has(i)).sort((a, b) => a - b);
  }
}

function benchConfig(emu: GraphEmulator, prefix: string, grace: string | undefined): Config {
  const overrides = { namedLocation: { name: 'Bench', maxLocations: 40, maxRangesPerLocation: 2000 }, ...(grace ? { removalGrace: grace } : {}) };
  return loadConfigText(stringify({ redis: { url: redisUrl, prefix }, targets: [benchTargetDoc(TARGET, emu, overrides)] }), { env: {} });
}

interface Figures {
  firstSyncWrites: number;
  writes: number;
  reads: number;
  added: number;
  removed: number;
  readded: number;
  quietHours: number;
  maxHeld: number;
  wallMs: number;
  /** Sums over the hourly runs of reconcileTarget's step timings (ms). */
  readMs: number;
  planMs: number;
  applyMs: number;
}

async function scenario(emu: GraphEmulator, redis: Redis, grace: string | undefined): Promise<Figures> {
  emu.reset();
  const prefix = `tqe-bench-grace:${randomUUID().slice(0, 8)}`;
  const config = benchConfig(emu, prefix, grace);
  const target = config.targets[0] as TargetConfig;
  const graph = createGraphClient(target, { redis, prefix, onThrottle: 'wait', logger: quiet });
  const keys = stateKeys(prefix);
  const f: Figures = { firstSyncWrites: 0, writes: 0, reads: 0, added: 0, removed: 0, readded: 0, quietHours: 0, maxHeld: 0, wallMs: 0, readMs: 0, planMs: 0, applyMs: 0 };
  const everRemoved = new Set<string>();
  const t0 = performance.now();
  try {
    let hour = 0;
    for (const listed of feed(Number(args.seed))) {
      emu.clearRequests();
      const desired: DesiredRange[] = listed.map((i) => ({ cidr: cidrOf(i), weight: 1, sources: ['bench/feed'] }));
      const res = await reconcileTarget({ config, targetName: TARGET, redis, keys, graph, desired, manual: false, force: false, dryRun: false, logger: quiet, now: () => T0 + hour * H });
      const log = emu.requests({ kind: 'graph' });
      const writes = log.filter((r) => r.method !== 'GET').length;
      if (hour === 0) f.firstSyncWrites = writes;
      else {
        f.writes += writes;
        f.reads += log.length - writes;
        if (writes === 0) f.quietHours += 1;
        for (const l of res.plan.locations) {
          for (const r of l.added) if (everRemoved.has(r)) f.readded += 1;
          for (const r of l.removed) everRemoved.add(r);
        }
        f.readMs += res.timings.readMs;
        f.planMs += res.timings.planMs;
        f.applyMs += res.timings.applyMs;
        f.added += res.plan.summary.added;
        f.removed += res.plan.summary.removed;
      }
      f.maxHeld = Math.max(f.maxHeld, res.plan.summary.inGrace);
      hour += 1;
    }
  } finally {
    f.wallMs = performance.now() - t0;
    await deleteKeysByPrefix(redis, prefix);
  }
  return f;
}

function line(label: string, f: Figures): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `${label.padEnd(18)} writes ${n(f.writes).padStart(6)} (first sync ${f.firstSyncWrites})  reads ${n(f.reads).padStart(5)}  ` +
    `removed ${n(f.removed).padStart(7)}  added ${n(f.added).padStart(7)}  re-added ${n(f.readded).padStart(7)}  ` +
    `hours without a write ${String(f.quietHours).padStart(3)}/${HOURS}  max held in grace ${n(f.maxHeld).padStart(6)}\n` +
    `${''.padEnd(18)} ${(f.wallMs / 1000).toFixed(1)} s in all; per hourly run: read ${(f.readMs / HOURS).toFixed(0)} ms, plan ${(f.planMs / HOURS).toFixed(0)} ms, apply ${(f.applyMs / HOURS).toFixed(0)} ms`
  );
}

async function main(): Promise<void> {
  const emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  try {
    console.log(
      `bench:grace: ${N.toLocaleString('en-US')} ranges, ${HOURS} hourly runs; per hour ${args.flap} % flap out for 1-6 h, ${args.leave} % leave for good, ~${args.arrive} % arrive ` +
        `(seed ${args.seed}; node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs)`,
    );
    const without = await scenario(emu, redis, undefined);
    console.log(line('no grace', without));
    const withGrace = await scenario(emu, redis, args.grace);
    console.log(line(`removalGrace ${args.grace}`, withGrace));
    const pct = (a: number, b: number) => (b === 0 ? '-' : `${Math.round((100 * (b - a)) / b)} %`);
    console.log(`saved by the grace: ${pct(withGrace.writes, without.writes)} of the write requests, ${pct(withGrace.removed + withGrace.added, without.removed + without.added)} of the range changes, ${pct(withGrace.readded, without.readded)} of the re-additions`);
  } finally {
    redis.disconnect();
    await emu.close();
  }
}

await main();
