/**
 * bench:e2e — a ThreatQ emulator collection of N indicators (default 1,000,000) through real worker
 * processes to the Graph emulator, each in its own process (issue 9, item 1).
 *
 *   npm run bench:e2e -- [--indicators N] [--sources S] [--pacing off|real] [--workers W] [--resync]
 *                        [--change-percent P] [--page-size S] [--objects-per-run K] [--generator-seed G]
 *                        [--generator-distribution clustered|sparse]
 *
 * Prints wall time per stage (collect, ingest, commit, plan, apply), indicators per second, peak RSS of
 * every process (VmHWM), Redis memory, Graph requests by method and status and by kind (list, get,
 * headers lookup, POST/PATCH/DELETE per resource) with their ratio to writes, named locations written
 * and overflow. The target uses maxLocations 195 (390,000 ranges at most); what does not fit is the
 * overflow.
 *   --generator-distribution  the emulator's generator (indicator-generator.ts): `clustered` (default;
 *                  ranges merge, 1,000,000 indicators give about 103,000 ranges in 52 locations) or
 *                  `sparse` (nothing merges: 1,000,000 give about 382,000 ranges in 191 locations, a
 *                  full target as issue 15 means it).
 *   --sources S    S ThreatQ sources (S emulator processes, N / S indicators each, generator seeds G,
 *                  G+1, …), all feeding the one target: their union can exceed the target's capacity
 *                  (overflow). The reconcile of each commit is held and started once every source
 *                  has committed (one reconcile of the union, as after a quiet period of a schedule).
 *                  --resync needs S = 1.
 *   --workers W    W worker processes (each serves every queue).
 *   --pacing off   Graph emulator throttle off, target rateLimit 100 requests/s: measures the service.
 *   --pacing real  1 request/s on both sides (Microsoft's limit): the wall time users will see.
 *   --resync       then a second run with no change, which must make zero Graph writes, a third
 *                  after turning one filtered-out indicator into one new range, which must write one
 *                  location, and a fourth after changing P % (default 1; 0 skips this run) of the
 *                  indicators through the emulator's /__emulator/indicators/{id} control, which must
 *                  rewrite only the locations holding changed ranges (and move no other range).
 * Issue-15 request targets, printed with OK or OVER: first sync ≤ 1.1 × writes + 5 requests, no change
 * ≤ 3, one added range ≤ 4 (bench/lib/request-targets.ts), and whether the first sync filled a full
 * target (≥ 375,000 ranges, ≥ 188 locations) within maxLocations. Exit status 1 when a check or a
 * request target fails.
 * Targets on a 2-core machine: N = 1,000,000 to committed snapshot in ≤ 30 s, worker peak RSS ≤ 400 MB
 * (and within 1.5× of the 100,000-indicator figure: run both); issue 16: worker peak RSS ≤ 300 MB at
 * 1,000,000 (any page size ≤ 1000, objectsPerRun ≤ 10,000), ≤ 350 MB at 5,000,000, and 5,000,000 to
 * committed snapshot in ≤ 60 s. Redis memory per million staged indicators is printed with each run. BENCH_CPU_PROF_DIR=D writes worker CPU
 * profiles to D; BENCH_WORKER_NODE_FLAGS="…" passes extra node flags to the workers, BENCH_EMULATOR_NODE_FLAGS="…" to the emulators (e.g. --cpu-prof). Needs a Redis (REDIS_URL, default
 * 127.0.0.1:6379); uses a throw-away key prefix and removes it at the end.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisClient } from '../src/redis/redis-connection.ts';
import { bullConnection, createQueues } from '../src/pipeline/queues.ts';
import { stateKeys } from '../src/state/redis-keys.ts';
import { BENCH_MAX_LOCATIONS, BENCH_MAX_RANGES, benchSources, writeBenchConfig } from './lib/bench-config.ts';
import {
  graphControl,
  mutateIndicators,
  spawnGraphEmulator,
  spawnThreatQEmulator,
  type EmulatorProcess,
  type GraphEmulatorProcess,
} from './lib/emulator-processes.ts';
import { measureRun, type RunContext, type RunFigures } from './lib/measure-run.ts';
import { formatRun } from './lib/format-figures.ts';
import { compareLocations, pickAddition, pickChanges, writtenLocations } from './lib/resync-check.ts';
import { firstSyncCheck, fullTargetCheck, noChangeCheck, oneRangeCheck } from './lib/request-targets.ts';
import { parseDistribution } from '../src/emulators/threatq/indicator-generator.ts';
import { mb, prefixMemory } from './lib/redis-memory.ts';
import { peakRssMb } from './lib/proc-memory.ts';
import { deleteKeysByPrefix } from '../src/redis/redis-scan.ts';

function usage(message: string): never {
  process.stderr.write(`bench:e2e: ${message}\n`);
  process.exit(2);
}

function intArg(name: string, text: string, min: number, max: number): number {
  const v = Number(text.replace(/[_,]/g, ''));
  if (!Number.isInteger(v) || v < min || v > max) usage(`--${name} must be an integer from ${min} to ${max} (got "${text}")`);
  return v;
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        indicators: { type: 'string', default: '1000000' },
        sources: { type: 'string', default: '1' },
        pacing: { type: 'string', default: 'off' },
        workers: { type: 'string', default: '1' },
        resync: { type: 'boolean', default: false },
        'change-percent': { type: 'string', default: '1' },
        'page-size': { type: 'string', default: '2000' },
        'objects-per-run': { type: 'string', default: '5000' },
        'generator-seed': { type: 'string', default: '7' },
        'generator-distribution': { type: 'string', default: 'clustered' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
})();
const N = intArg('indicators', args.indicators, 1, 5_000_000);
const WORKERS = intArg('workers', args.workers, 1, 16);
const SOURCES = intArg('sources', args.sources, 1, 16);
if (SOURCES > 1 && args.resync) usage('--resync needs --sources 1 (its checks change the one emulator\'s indicators)');
const PAGE_SIZE = intArg('page-size', args['page-size'], 1, 10_000);
const OBJECTS_PER_RUN = intArg('objects-per-run', args['objects-per-run'], 1, 1_000_000);
const SEED = intArg('generator-seed', args['generator-seed'], 0, 2 ** 31 - 1);
const CHANGE_PERCENT = Number(args['change-percent']);
if (!(CHANGE_PERCENT >= 0 && CHANGE_PERCENT <= 100)) usage(`--change-percent must be a number from 0 (no such run) to 100 (got "${args['change-percent']}")`);
const DISTRIBUTION = (() => {
  try {
    return parseDistribution(args['generator-distribution'], '--generator-distribution');
  } catch (e) {
    return usage((e as Error).message);
  }
})();
if (args.pacing !== 'off' && args.pacing !== 'real') usage(`--pacing must be "off" or "real" (got "${args.pacing}")`);
const REAL = args.pacing === 'real';
/** Indicators of source k (0-based): N split as evenly as the count allows. */
const perSource = (k: number): number => Math.floor(N / SOURCES) + (k < N % SOURCES ? 1 : 0);
const BIN = fileURLToPath(new URL('../bin/tq-entra.js', import.meta.url));
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `tqe-e2e:${randomUUID().slice(0, 8)}`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const out = (line = '') => process.stdout.write(`${line}\n`);

async function waitForWorkers(ctx: Pick<RunContext, 'queues'>, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const n = await Promise.all([ctx.queues.collect.getWorkersCount(), ctx.queues.ingest.getWorkersCount(), ctx.queues.reconcile.getWorkersCount()]);
    if (n.every((x) => x >= count)) return;
    if (Date.now() > deadline) throw new Error(`only ${n.join('/')} of ${count} workers per queue came up within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The processes and connections of one bench: emulators, workers, Redis, queues. */
interface Bench {
  /** One ThreatQ emulator per source; tq is the first. */
  tq: EmulatorProcess;
  tqs: EmulatorProcess[];
  graphEmu: GraphEmulatorProcess;
  workers: ChildProcess[];
  connection: RedisClient;
  ctx: RunContext;
}

type Run = () => Promise<RunFigures>;

function printHeader(): void {
  out(`bench:e2e — ${N.toLocaleString('en-US')} indicators (${DISTRIBUTION} distribution, seed ${SEED}${SOURCES > 1 ? `; ${SOURCES} sources of ${perSource(0).toLocaleString('en-US')}+ each, seeds ${SEED}–${SEED + SOURCES - 1}` : ''}), pacing ${args.pacing}, ${WORKERS} worker process(es), page size ${PAGE_SIZE}, objectsPerRun ${OBJECTS_PER_RUN}, maxLocations ${BENCH_MAX_LOCATIONS} × ${BENCH_MAX_RANGES}`);
  out(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at start ${load()}`);
}

function spawnWorkers(configPath: string): ChildProcess[] {
  const profile = process.env['BENCH_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF_DIR']}`] : [];
  profile.push(...(process.env['BENCH_WORKER_NODE_FLAGS'] ?? '').split(/\s+/).filter(Boolean));
  const workers: ChildProcess[] = [];
  for (let i = 0; i < WORKERS; i += 1) {
    workers.push(spawn(process.execPath, [...profile, BIN, 'worker', '--config', configPath], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] }));
  }
  return workers;
}

async function startBench(): Promise<Bench> {
  const tqs: EmulatorProcess[] = [];
  // One after another: generating a collection takes both cores.
  for (let k = 0; k < SOURCES; k += 1) tqs.push(await spawnThreatQEmulator(BIN, perSource(k), SEED + k, DISTRIBUTION));
  const tq = tqs[0] as EmulatorProcess;
  const graphEmu = await spawnGraphEmulator(BIN, REAL ? 1 : 0);
  const { path: configPath, config } = writeBenchConfig({
    redisUrl,
    prefix,
    threatqUrls: tqs.map((t) => t.url),
    graphUrl: graphEmu.url,
    graphCaFile: graphEmu.caFile,
    pageSize: PAGE_SIZE,
    objectsPerRun: OBJECTS_PER_RUN,
    requestsPerSecond: REAL ? 1 : 100,
    holdReconcile: SOURCES > 1,
  });
  const workers = spawnWorkers(configPath);
  const redis = new Redis(redisUrl);
  const connection = bullConnection(redisUrl);
  const ctx: RunContext = {
    config,
    redis,
    keys: stateKeys(prefix),
    queues: createQueues(connection, prefix),
    graph: graphControl(graphEmu),
    sources: benchSources(SOURCES),
    procs: [
      ...workers.map((w, i) => ({ name: `worker ${i + 1}`, pid: w.pid })),
      ...tqs.map((t, k) => ({ name: SOURCES > 1 ? `ThreatQ emulator ${k + 1}` : 'ThreatQ emulator', pid: t.proc.pid })),
      { name: 'Graph emulator', pid: graphEmu.proc.pid },
      { name: 'bench (this)', pid: process.pid },
    ],
    timeoutMs: 3_600_000,
  };
  return { tq, tqs, graphEmu, workers, connection, ctx };
}

/**
 * A worker or emulator that dies mid-run (e.g. out of memory) fails the bench at once instead of
 * leaving it waiting for a run that cannot finish; `stop()` before stopping them on purpose.
 */
function watchForDeaths(bench: Bench): { died: Promise<never>; stop(): void } {
  let stopping = false;
  const died = new Promise<never>((_, reject) => {
    const watch = (name: string, p: ChildProcess) =>
      p.once('exit', (code, signal) => {
        if (!stopping) reject(new Error(`${name} (pid ${p.pid ?? '?'}) exited mid-run (${signal ?? `code ${code ?? '?'}`})`));
      });
    bench.workers.forEach((w, i) => watch(`worker ${i + 1}`, w));
    bench.tqs.forEach((t, k) => watch(`ThreatQ emulator ${k + 1}`, t.proc));
    watch('Graph emulator', bench.graphEmu.proc);
  });
  died.catch(() => undefined);
  return { died, stop: () => { stopping = true; } };
}

/** Issue 16's bounds for this N: worker peak RSS (300 MB at 1,000,000, 350 MB at 5,000,000) and 5,000,000 to committed in ≤ 60 s. */
function issue16Targets(toCommitMs: number, workerPeakMb: number): string {
  const rssBound = N <= 1_000_000 ? 300 : 350;
  const rss = `worker peak RSS ≤ ${rssBound} MB${N === 1_000_000 || N === 5_000_000 ? '' : ' (N differs from 1M/5M)'}: ${workerPeakMb.toFixed(0)} MB ${workerPeakMb <= rssBound ? 'MET' : 'MISSED'}`;
  const time = N === 5_000_000 ? `; 5,000,000 to committed ≤ 60 s: ${(toCommitMs / 1000).toFixed(2)} s ${toCommitMs <= 60_000 ? 'MET' : 'MISSED'}` : '';
  return rss + time;
}

/** Run 1 into an empty tenant. Returns the failed checks (full-target limits, the first-sync request budget). */
async function firstRun(run: Run): Promise<number> {
  out();
  out(`run 1: first sync into an empty tenant (load average ${load()})`);
  const first = await run();
  for (const l of formatRun(first, N)) out(l);
  const toCommit = first.at.committed - first.enqueuedAt;
  const workerPeak = Math.max(...first.rss.filter((p) => p.name.startsWith('worker')).map((p) => p.hwmMb));
  out(`  targets: committed snapshot ≤ 30 s for 1,000,000: ${(toCommit / 1000).toFixed(2)} s${N === 1_000_000 ? (toCommit <= 30_000 ? ' MET' : ' MISSED') : ' (scale: N differs)'}; worker peak RSS ≤ 400 MB: ${workerPeak.toFixed(0)} MB ${workerPeak <= 400 ? 'MET' : 'MISSED'}`);
  out(`  issue 16 (load average now ${load()}): ${issue16Targets(toCommit, workerPeak)}`);
  const checks = [fullTargetCheck(first, BENCH_MAX_LOCATIONS), firstSyncCheck(first.graphLog)];
  for (const c of checks) out(c.line);
  return checks.filter((c) => !c.ok).length;
}

/** Run 2: nothing changed, so zero Graph writes and at most 3 requests. Returns the failed checks. */
async function unchangedRun(run: Run): Promise<number> {
  out();
  out(`run 2: re-sync with no change (load average ${load()})`);
  const same = await run();
  for (const l of formatRun(same, N)) out(l);
  const check = noChangeCheck(same.graphLog);
  out(check.line);
  return check.ok ? 0 : 1;
}

/** Run 3: one filtered-out indicator becomes one new range: one location written, at most 4 requests. */
async function addedRangeRun(bench: Bench, run: Run): Promise<number> {
  const before = await bench.ctx.graph.namedLocations();
  const addition = pickAddition(SEED, N, DISTRIBUTION);
  await mutateIndicators(bench.tq.url, [addition]);
  out();
  out(`run 3: re-sync after one added range (indicator ${addition.id}, an FQDN, made an Active IP Address ${addition.value}) (load average ${load()})`);
  const added = await run();
  for (const l of formatRun(added, N)) out(l);
  const after = await bench.ctx.graph.namedLocations();
  const cmp = compareLocations(before, after, writtenLocations(added.graphLog, before, after));
  const holds = cmp.holds && cmp.rangesAdded === 1 && cmp.rangesRemoved === 0;
  out(`  check: one range added, none removed or moved, only its location written: ${cmp.rangesAdded} added, ${cmp.rangesRemoved} removed, ${cmp.moved} moved; written ${[...cmp.written].join(', ') || 'none'} ${holds ? 'OK' : 'FAILED'}`);
  const check = oneRangeCheck(added.graphLog);
  out(check.line);
  return (holds ? 0 : 1) + (check.ok ? 0 : 1);
}

/** Run 4: P % changed, so only the locations holding changed ranges are rewritten. Returns the failed checks. */
async function changedRun(bench: Bench, run: Run): Promise<number> {
  const before = await bench.ctx.graph.namedLocations();
  const changes = pickChanges(SEED, N, CHANGE_PERCENT / 100, DISTRIBUTION);
  const t = Date.now();
  await mutateIndicators(bench.tq.url, changes);
  out();
  out(`run 4: re-sync after changing ${changes.length.toLocaleString('en-US')} indicators (${CHANGE_PERCENT} % of ${N.toLocaleString('en-US')}: public IPv4 and IPv6, Active, new values in 5.0.0.0/8 and 2a0b:0::/32, updated_at now; ${((Date.now() - t) / 1000).toFixed(1)} s through /__emulator/indicators/{id}) (load average ${load()})`);
  const changed = await run();
  for (const l of formatRun(changed, N)) out(l);
  const after = await bench.ctx.graph.namedLocations();
  const cmp = compareLocations(before, after, writtenLocations(changed.graphLog, before, after));
  out(`  ranges in Entra: ${cmp.rangesAdded.toLocaleString('en-US')} added, ${cmp.rangesRemoved.toLocaleString('en-US')} removed, ${cmp.moved} moved to another location`);
  out(`  locations holding a changed range: ${cmp.touched.size} of ${after.length}; locations written: ${cmp.written.size}`);
  out(`  check: only the locations that hold changed ranges were rewritten, and no other range moved: ${cmp.holds ? 'OK' : 'FAILED'}` +
    `${cmp.writtenNeedlessly.length ? `; written needlessly: ${cmp.writtenNeedlessly.join(', ')}` : ''}${cmp.touchedNotWritten.length ? `; changed but not written: ${cmp.touchedNotWritten.join(', ')}` : ''}`);
  return cmp.holds ? 0 : 1;
}

async function printEnd(redis: Redis): Promise<void> {
  const held = await prefixMemory(redis, prefix);
  out();
  out(`Redis keys of this bench at the end: ${held.keys} keys, ${mb(held.bytes)} (committed snapshot, run records, finished jobs)`);
  out(`load average at end ${load()}`);
}

async function stopBench(bench: Bench): Promise<void> {
  await Promise.all(bench.workers.map((w) => new Promise((resolve) => {
    if (w.exitCode !== null) return resolve(undefined);
    w.once('exit', resolve);
    w.kill('SIGTERM');
  })));
  await bench.ctx.queues.close();
  bench.connection.disconnect();
  await deleteKeysByPrefix(bench.ctx.redis, prefix);
  bench.ctx.redis.disconnect();
  await Promise.all([...bench.tqs.map((t) => t.stop()), bench.graphEmu.stop()]);
}

async function main(): Promise<number> {
  printHeader();
  const setupStart = Date.now();
  const bench = await startBench();
  const deaths = watchForDeaths(bench);
  const run: Run = () => Promise.race([measureRun(bench.ctx), deaths.died]);
  let failures = 0;
  try {
    await waitForWorkers(bench.ctx, WORKERS);
    out(`setup: ${((Date.now() - setupStart) / 1000).toFixed(1)} s (emulators generate the collection, workers start); ThreatQ emulator peak RSS after generating ${bench.tqs.map((t) => peakRssMb(t.proc.pid).toFixed(0)).join(' / ')} MB`);
    failures += await firstRun(run);
    if (args.resync) {
      failures += await unchangedRun(run);
      failures += await addedRangeRun(bench, run);
      if (CHANGE_PERCENT > 0) failures += await changedRun(bench, run);
    }
    await printEnd(bench.ctx.redis);
  } finally {
    deaths.stop();
    await stopBench(bench);
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
