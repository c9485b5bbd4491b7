/**
 * bench:tenants — many tenants at once (issue 16): T targets (default 50) in T tenants of one Graph
 * emulator (its own process; Graph's real limit of 1 request/s per tenant, burst 1), every target paced
 * at 1 request/s and fed by one file source whose committed snapshot holds R ranges (default 3,000
 * never-adjacent /32s: two named locations), one tenant (t01) answering P (default 30 %) of its Graph
 * requests with 429, no Retry-After (as conditional access sends them). The reconcile jobs go through
 * the reconcile queue to W real `worker` processes (default 2) with `worker.concurrency.reconcile` C
 * (default ⌈T / W⌉: every target has a slot at once).
 *
 *   npm run bench:tenants -- [--targets T] [--ranges R] [--workers W] [--concurrency C] [--p429 P]
 *                            [--seed S] [--alone-samples N] [--log-file F]
 * (`--log-file`: write the Graph emulator's request log of every phase to F, JSON, for a closer look;
 * BENCH_CPU_PROF_DIR=D: CPU profiles of the worker processes in D.)
 *
 * Phases, each with a fresh key prefix, fresh worker processes, and the emulator reset to empty
 * tenants with the same seeded faults:
 *   alone     the throttled target alone, then N (default 2) ordinary targets one after another, alone
 *   together  all T targets enqueued at once
 *   clean     all T at once again with no fault: the ordinary targets' baseline
 * Printed: every target's finish time (enqueue to the job's end) with its Graph requests and 429s (an
 * ordinary tenant's 429s come from the emulator's own 1 request/s limit); the wall time of all T
 * together against the slowest single target alone (bound: ≤ 1.5 ×, not the sum); the ordinary
 * targets' latest finish with the throttled tenant among them against the clean run (bound: ≤ 1.25 ×:
 * the throttled tenant does not delay the others; what remains is the machine's contention, shown by
 * an ordinary target alone); whether the reconcile queue was ever rate-limited (it must not be);
 * reconcile jobs delayed for the throttled tenant; every tenant's ranges in Entra; worker RSS idle and
 * at peak, and the peak's growth per concurrent reconcile (an upper bound: it includes what the first
 * reconciles load once). Exit status 1 when a bound or a check fails.
 *
 * The snapshots are committed straight into Redis (bench/lib/tenants-setup.ts, as a collect run ends)
 * so that only the reconciles are timed. Needs a Redis (REDIS_URL, default 127.0.0.1:6379); uses
 * throw-away key prefixes and removes them.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisClient } from '../src/redis/redis-connection.ts';
import { decodeField, metricKeys } from '../src/observability/metrics-keys.ts';
import { enqueueReconcile } from '../src/pipeline/producer.ts';
import { bullConnection, createQueues, type Queues } from '../src/pipeline/queues.ts';
import { deleteKeysByPrefix } from '../src/redis/redis-scan.ts';
import { spawnGraphEmulator, type GraphEmulatorProcess } from './lib/emulator-processes.ts';
import { graphAdmin, type GraphAdmin, type TenantRequest } from './lib/graph-admin.ts';
import { peakRssMb, resetPeakRss, rssMb } from './lib/proc-memory.ts';
import { LOCATION_NAME, benchApps, commitSnapshots, targetOf, tenantOf, writeTenantsConfig } from './lib/tenants-setup.ts';

function usage(message: string): never {
  process.stderr.write(`bench:tenants: ${message}\n`);
  process.exit(2);
}

function numberArg(name: string, text: string, min: number, max: number, integer = true): number {
  const v = Number(text.replace(/[_,]/g, ''));
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) usage(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${text}")`);
  return v;
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        targets: { type: 'string', default: '50' },
        ranges: { type: 'string', default: '3000' },
        workers: { type: 'string', default: '2' },
        concurrency: { type: 'string' },
        p429: { type: 'string', default: '0.3' },
        seed: { type: 'string', default: '16' },
        'alone-samples': { type: 'string', default: '2' },
        'log-file': { type: 'string' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
})();
const T = numberArg('targets', args.targets, 2, 99);
const R = numberArg('ranges', args.ranges, 1, 390_000);
const W = numberArg('workers', args.workers, 1, 16);
const C = args.concurrency === undefined ? Math.ceil(T / W) : numberArg('concurrency', args.concurrency, 1, 256);
const P429 = numberArg('p429', args.p429, 0, 1, false);
const SEED = numberArg('seed', args.seed, 0, 2 ** 31 - 1);
const ALONE = numberArg('alone-samples', args['alone-samples'], 1, T - 1);
/** The throttled target: t01. */
const THROTTLED = 1;
const BIN = fileURLToPath(new URL('../bin/tq-entra.js', import.meta.url));
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const run = randomUUID().slice(0, 8);
const out = (line = '') => process.stdout.write(`${line}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One target's reconcile in a group: when its job finished, counted from the group's enqueue. */
interface Finish {
  index: number;
  finishMs: number;
  state: string;
  attemptsStarted: number;
  requests: number;
  throttled: number;
}

interface GroupResult {
  wallMs: number;
  finishes: Finish[];
  maxActive: number;
}

interface PhaseResult {
  /** The throttled tenant's fault rate in this phase. */
  p429: number;
  groups: GroupResult[];
  rateLimits: number[];
  throttleDelays: number;
  idleMb: number[];
  peakMb: number[];
  wrongRanges: string[];
}

/** The processes and connections of one phase. */
interface Phase {
  prefix: string;
  workers: ChildProcess[];
  connection: RedisClient;
  redis: Redis;
  queues: Queues;
}

async function startPhase(emu: GraphEmulatorProcess, name: string): Promise<Phase> {
  const prefix = `tqe-tenants:${run}:${name}`;
  const { path, config } = writeTenantsConfig({ redisUrl, prefix, graphUrl: emu.url, graphCaFile: emu.caFile, targets: T, ranges: R, concurrency: C });
  const redis = new Redis(redisUrl);
  await commitSnapshots(redis, config, R);
  const profile = process.env['BENCH_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF_DIR']}`] : [];
  const workers = Array.from({ length: W }, () =>
    spawn(process.execPath, [...profile, BIN, 'worker', '--config', path], { env: { ...process.env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const connection = bullConnection(redisUrl);
  const queues = createQueues(connection, prefix);
  const deadline = Date.now() + 60_000;
  while ((await queues.reconcile.getWorkersCount()) < W) {
    if (Date.now() > deadline) throw new Error(`the ${W} worker processes did not come up within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { prefix, workers, connection, redis, queues };
}

async function stopPhase(phase: Phase): Promise<void> {
  await Promise.all(
    phase.workers.map(
      (w) =>
        new Promise((resolve) => {
          if (w.exitCode !== null) return resolve(undefined);
          w.once('exit', resolve);
          w.kill('SIGTERM');
        }),
    ),
  );
  await phase.queues.close();
  phase.connection.disconnect();
  await deleteKeysByPrefix(phase.redis, phase.prefix);
  phase.redis.disconnect();
}

/** Polls, while a group runs, the reconcile queue's rate limit (never expected) and its active jobs. */
function watchQueue(queues: Queues): { stop: () => Promise<{ rateLimits: number[]; maxActive: number }> } {
  const rateLimits: number[] = [];
  let maxActive = 0;
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const [ttl, active] = await Promise.all([queues.reconcile.getRateLimitTtl(), queues.reconcile.getActiveCount()]);
      if (ttl > 0) rateLimits.push(ttl);
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { stop: async () => ((polling = false), await loop, { rateLimits, maxActive }) };
}

/** Enqueue the reconciles of `indexes` at once and wait for all of them to finish. */
async function runGroup(phase: Phase, indexes: readonly number[], rateLimits: number[]): Promise<GroupResult> {
  const watch = watchQueue(phase.queues);
  const t0 = Date.now();
  const ids = await Promise.all(indexes.map((i) => enqueueReconcile(phase.queues, { target: targetOf(i), manual: false, force: false, trigger: 'cli', runIds: [] })));
  const deadline = t0 + 30 * 60_000;
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => phase.queues.reconcile.getJob(id)));
    if (jobs.every((j) => j?.finishedOn !== undefined)) {
      const w = await watch.stop();
      rateLimits.push(...w.rateLimits);
      const finishes = jobs.map((j, k) => ({
        index: indexes[k] ?? 0,
        finishMs: (j?.finishedOn ?? t0) - t0,
        state: j?.failedReason ? `failed: ${j.failedReason}` : 'completed',
        attemptsStarted: j?.attemptsStarted ?? 0,
        requests: 0,
        throttled: 0,
      }));
      return { wallMs: Math.max(...finishes.map((f) => f.finishMs)), finishes, maxActive: w.maxActive };
    }
    if (Date.now() > deadline) throw new Error(`reconciles of ${indexes.length} targets not finished within 30 min`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Requests and 429s of every target's tenant, from the emulator's log. */
function countRequests(finishes: Finish[], log: readonly TenantRequest[]): void {
  for (const f of finishes) {
    const mine = log.filter((r) => r.tenantId === tenantOf(f.index));
    f.requests = mine.length;
    f.throttled = mine.filter((r) => r.status === 429).length;
  }
}

async function throttleDelaysOf(redis: Redis, prefix: string): Promise<number> {
  const hash = await redis.hgetall(metricKeys(prefix).throttleDelays);
  return Object.entries(hash).reduce((n, [field, v]) => n + (decodeField(field, 2)?.[1] === 'count' ? Number(v) : 0), 0);
}

/** Targets whose tenant does not hold exactly their R ranges in its `Bench` locations. */
async function wrongRanges(admin: GraphAdmin, indexes: readonly number[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const i of indexes) {
    const n = (await admin.rangesOf(tenantOf(i), LOCATION_NAME)).length;
    if (n !== R) wrong.push(`${targetOf(i)}: ${n} ranges`);
  }
  return wrong;
}

/** One phase: its groups run one after another, each alone in the queue; `p429`: the throttled tenant's fault rate. */
async function runPhase(emu: GraphEmulatorProcess, admin: GraphAdmin, name: string, groups: readonly (readonly number[])[], p429 = P429): Promise<PhaseResult> {
  await admin.reset();
  await admin.configure({ apps: benchApps(T) });
  const phase = await startPhase(emu, name);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idleMb = phase.workers.map((w) => rssMb(w.pid));
    for (const w of phase.workers) resetPeakRss(w.pid);
    const rateLimits: number[] = [];
    const results: GroupResult[] = [];
    for (const g of groups) {
      // The same seeded faults for every group: the throttled tenant meets the same 429 sequence alone and together.
      await admin.randomFaults({ p429, seed: SEED, tenantId: tenantOf(THROTTLED) });
      results.push(await runGroup(phase, g, rateLimits));
    }
    const log = await admin.requests();
    for (const g of results) countRequests(g.finishes, log);
    if (args['log-file'] !== undefined) appendFileSync(args['log-file'], `${JSON.stringify({ phase: name, log })}\n`);
    const peakMb = phase.workers.map((w) => peakRssMb(w.pid));
    const throttleDelays = await throttleDelaysOf(phase.redis, phase.prefix);
    return { p429, groups: results, rateLimits, throttleDelays, idleMb, peakMb, wrongRanges: await wrongRanges(admin, groups.flat()) };
  } finally {
    await stopPhase(phase);
  }
}

function finishLine(f: Finish, p429: number): string {
  const mark = f.index === THROTTLED && p429 > 0 ? ` (throttled tenant, ${Math.round(p429 * 100)} % 429s)` : '';
  const extra = f.attemptsStarted > 1 ? `, ${f.attemptsStarted} job starts` : '';
  return `${targetOf(f.index)} ${s(f.finishMs).padStart(7)}  ${String(f.requests).padStart(3)} requests, ${String(f.throttled).padStart(2)} × 429${extra}${f.state === 'completed' ? '' : `, ${f.state}`}${mark}`;
}

function printAlone(alone: PhaseResult): void {
  out();
  out(`alone (each target alone in the queue, one after another; load average ${load()}):`);
  for (const g of alone.groups) for (const f of g.finishes) out(`  ${finishLine(f, alone.p429)}`);
}

function printTogether(together: PhaseResult, title = 'together'): void {
  out();
  out(`${title} (all ${T} enqueued at once; most reconciles running at once: ${together.groups[0]?.maxActive ?? 0}; load average ${load()}):`);
  const finishes = [...(together.groups[0]?.finishes ?? [])].sort((a, b) => a.finishMs - b.finishMs);
  for (const f of finishes) out(`  ${finishLine(f, together.p429)}`);
}

function memoryLine(p: PhaseResult, concurrentPerProcess: number): string {
  const growth = p.peakMb.map((peak, k) => peak - (p.idleMb[k] ?? 0));
  const mean = growth.reduce((a, b) => a + b, 0) / Math.max(1, growth.length);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
  return `worker RSS: idle ${fmt(p.idleMb)} MB, peak ${fmt(p.peakMb)} MB; growth ${mean.toFixed(0)} MB per process for ~${concurrentPerProcess.toFixed(1)} concurrent reconciles: ${(mean / Math.max(1, concurrentPerProcess)).toFixed(1)} MB per concurrent reconcile of ${R.toLocaleString('en-US')} ranges`;
}

const latest = (fs: readonly Finish[]): number => Math.max(...fs.map((f) => f.finishMs));
const ordinary = (p: PhaseResult): Finish[] => (p.groups[0]?.finishes ?? []).filter((f) => f.index !== THROTTLED);

/** The bounds and checks; returns how many failed. */
function printChecks(alone: PhaseResult, together: PhaseResult, clean: PhaseResult): number {
  const aloneAll = alone.groups.flatMap((g) => g.finishes);
  const slowestAlone = latest(aloneAll);
  const ordinaryAlone = latest(aloneAll.filter((f) => f.index !== THROTTLED));
  const wall = together.groups[0]?.wallMs ?? NaN;
  const withThrottled = latest(ordinary(together));
  const withoutFaults = latest(ordinary(clean));
  const throttledAt = together.groups[0]?.finishes.find((f) => f.index === THROTTLED)?.finishMs ?? NaN;
  const sumAlone = ordinaryAlone * (T - 1) + (aloneAll.find((f) => f.index === THROTTLED)?.finishMs ?? 0);
  const phases = [alone, together, clean];
  const wrong = phases.flatMap((p) => p.wrongRanges);
  const rateLimited = phases.reduce((n, p) => n + p.rateLimits.length, 0);
  const checks: [string, boolean][] = [
    [`all ${T} together ${s(wall)} ≤ 1.5 × the slowest single target alone (${s(slowestAlone)} → ${s(1.5 * slowestAlone)}; all alone one after another: ~${s(sumAlone)}): ${(wall / slowestAlone).toFixed(2)} ×`, wall <= 1.5 * slowestAlone],
    [`the ${T - 1} ordinary targets with ${targetOf(THROTTLED)} throttled finished by ${s(withThrottled)}, ≤ 1.25 × the same run with no fault (${s(withoutFaults)}): ${(withThrottled / withoutFaults).toFixed(2)} × (${targetOf(THROTTLED)} finished at ${s(throttledAt)}; an ordinary target alone: ${s(ordinaryAlone)})`, withThrottled <= 1.25 * withoutFaults],
    [`the reconcile queue was never rate-limited (${rateLimited} rate-limited polls)`, rateLimited === 0],
    [`every tenant holds exactly its ${R.toLocaleString('en-US')} ranges${wrong.length ? `: ${wrong.join(', ')}` : ''}`, wrong.length === 0],
    ['every reconcile job completed', phases.every((p) => p.groups.every((g) => g.finishes.every((f) => f.state === 'completed')))],
  ];
  out();
  out(`reconcile jobs delayed because a request stayed throttled through all its attempts: alone ${alone.throttleDelays}, together ${together.throttleDelays}`);
  out(memoryLine(together, (together.groups[0]?.maxActive ?? 0) / W));
  for (const [line, ok] of checks) out(`  ${ok ? 'MET   ' : 'MISSED'}  ${line}`);
  return checks.filter(([, ok]) => !ok).length;
}

async function main(): Promise<number> {
  out(`bench:tenants — ${T} targets in ${T} tenants, ${R.toLocaleString('en-US')} ranges each, Graph emulator at 1 request/s per tenant (burst 1), targets paced at 1 request/s, ${targetOf(THROTTLED)} answering ${Math.round(P429 * 100)} % 429s (seed ${SEED}), ${W} worker process(es) × concurrency.reconcile ${C}`);
  out(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at start ${load()}`);
  const emu = await spawnGraphEmulator(BIN, 1);
  const admin = graphAdmin(emu);
  try {
    const aloneGroups = [[THROTTLED], ...Array.from({ length: ALONE }, (_, k) => [THROTTLED + 1 + k])];
    const alone = await runPhase(emu, admin, 'alone', aloneGroups);
    printAlone(alone);
    const everyone = [Array.from({ length: T }, (_, k) => k + 1)];
    const together = await runPhase(emu, admin, 'together', everyone);
    printTogether(together);
    const clean = await runPhase(emu, admin, 'clean', everyone, 0);
    printTogether(clean, `together with no fault (the baseline of the ${T - 1} ordinary targets)`);
    return printChecks(alone, together, clean) === 0 ? 0 : 1;
  } finally {
    await emu.stop();
  }
}

process.exitCode = await main();
