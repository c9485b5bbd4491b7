/**
 * The soak run, as operators deploy the service: `scheduler --watch`, two `worker` processes and the
 * `dashboard` as separate OS processes on one Redis; a ThreatQ emulator collection and a file source
 * scheduled every few seconds; the Graph emulator at its default pace (1 request/s, 429s without
 * Retry-After) and the target at the default 1 request/s.
 *
 * Each cycle (one per minute of soak) perturbs the system while the schedules fire: the file gains
 * lines; the configuration is replaced by rename (collection B gains a schedule, A loses its own, or
 * back); worker 1 gets SIGTERM and is restarted; the file loses lines; worker 2 gets SIGKILL and is
 * restarted; the configuration is edited in place (the file's interval changes). Once per minute it
 * samples the RSS of every process and the Redis keys and memory under the prefix.
 *
 * The caller asserts on the returned observations (test/integration/pipeline.soak.test.ts; the
 * long version is `npm run test:soak -- --minutes N`).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { Redis } from 'ioredis';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';
import { bullConnection, createQueues } from '../../src/pipeline/queues.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readRun, type RunRecord } from '../../src/pipeline/run-store.ts';
import { scanKeys } from '../../src/redis/redis-scan.ts';
import { rssMb } from '../../bench/lib/proc-memory.ts';
import { until } from '../helpers/until.ts';

export const COLLECTION_A = '6d4c1f0e2b9a8c7d';
export const COLLECTION_B = 'a1b2c3d4e5f6';
const LOCATION = 'TQ Blocked';

export interface StopRecord {
  process: string;
  signal: NodeJS.Signals;
  code: number | null;
  ms: number;
}

export interface MinuteSample {
  minute: number;
  rssMb: Record<string, number>;
  redisKeys: number;
  redisBytes: number;
}

export interface SoakResult {
  stops: StopRecord[];
  samples: MinuteSample[];
  failedJobs: { queue: string; id: string; reason: string }[];
  scheduledRuns: RunRecord[];
  entra: string[];
  expected: string[];
  schedulerOutput: string;
  workerOutputs: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fileLines(cycle: number, extra: boolean): string[] {
  const base = Array.from({ length: 20 }, (_, i) => `45.10.${i}.7`);
  const added = extra ? Array.from({ length: 15 }, (_, i) => `46.${20 + (cycle % 50)}.${i}.0/24`) : [];
  return [...base, ...added];
}

/** Replace the configuration by writing a temporary file and renaming it over the old one. */
function rewriteConfig(path: string, edit: (doc: Record<string, any>) => void, byRename: boolean): void {
  const doc = parse(readFileSync(path, 'utf8')) as Record<string, any>;
  edit(doc);
  if (byRename) {
    writeFileSync(`${path}.tmp`, stringify(doc));
    renameSync(`${path}.tmp`, path);
  } else {
    writeFileSync(path, stringify(doc));
  }
}

async function redisUsage(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  for await (const batch of scanKeys(redis, `${prefix}:*`)) {
    keys += batch.length;
    const sizes = await Promise.all(batch.map((k) => redis.memory('USAGE', k).catch(() => 0)));
    for (const s of sizes) bytes += Number(s ?? 0);
  }
  return { keys, bytes };
}

export interface SoakOptions {
  minutes: number;
  redisUrl?: string;
  log?: (line: string) => void;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const env = await startPipelineEnv({
    redis: options.redisUrl,
    threatq: [{ name: 'tq', options: { generate: { count: 400, seed: 5 } }, collections: [{ id: COLLECTION_A }, { id: COLLECTION_B }] }],
    files: [{ name: 'list', lines: fileLines(0, false) }],
    graph: {},
    target: { rateLimit: { requestsPerSecond: 1 }, objectsPerRun: 100 },
    worker: { lockDurationMs: 5000, stalledIntervalMs: 2000 },
  });
  try {
    return await soak(env, options.minutes, log);
  } finally {
    await env.close();
  }
}

async function soak(env: PipelineEnv, minutes: number, log: (line: string) => void): Promise<SoakResult> {
  const cfg = env.configPath;
  rewriteConfig(
    cfg,
    (doc) => {
      doc['scheduler'] = { minInterval: '1s' };
      // A run every few seconds: keep few finished jobs, so Redis reaches its plateau in the first minutes.
      doc['jobs'] = { keepCompleted: 50, keepFailed: 50, keepEvents: 1000 };
      doc['sources'][0].pageSize = 100;
      doc['sources'][0].collections[0].schedule = { every: '4s' };
      doc['sources'][1].schedule = { every: '3s' };
    },
    true,
  );
  const redisEnv = { REDIS_URL: env.redis.url };
  const procs: Record<string, CliProcess> = {};
  const stops: StopRecord[] = [];
  const workerOutputs: string[] = [];
  const startWorker = async (name: string) => {
    const p = startCliProcess(name, ['worker', '--config', cfg, '--shutdown-grace', '3s'], redisEnv);
    procs[name] = p;
    await p.waitFor('workers started');
  };
  const stop = async (name: string, signal: NodeJS.Signals) => {
    const p = procs[name];
    if (!p) throw new Error(`no process ${name}`);
    const r = await p.stop(signal);
    stops.push({ process: name, signal, code: r.code, ms: r.ms });
    if (name.startsWith('worker')) workerOutputs.push(p.output());
    log(`${name}: ${signal} → exit ${r.code ?? r.signal} in ${r.ms} ms`);
  };
  procs['scheduler'] = startCliProcess('scheduler', ['scheduler', '--watch', '--config', cfg], redisEnv);
  procs['dashboard'] = startCliProcess('dashboard', ['dashboard', '--config', cfg, '--port', '0'], redisEnv);
  await Promise.all([startWorker('worker-1'), startWorker('worker-2'), procs['scheduler'].waitFor('schedulers: 2 upserted'), procs['dashboard'].waitFor('dashboard: http')]);

  const redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  const samples: MinuteSample[] = [];
  const sample = async (minute: number) => {
    const rss: Record<string, number> = {};
    for (const [name, p] of Object.entries(procs)) rss[name] = Math.round(rssMb(p.pid) * 10) / 10;
    const u = await redisUsage(redis, env.redis.prefix);
    samples.push({ minute, rssMb: rss, redisKeys: u.keys, redisBytes: u.bytes });
    log(`minute ${minute}: RSS MB ${JSON.stringify(rss)}, Redis ${u.keys} keys, ${(u.bytes / 1024).toFixed(0)} KiB`);
  };
  const tq = env.threatq['tq'];
  if (!tq) throw new Error('unreachable');
  let lines = fileLines(0, false);
  // B holds every third indicator of A: A's values and whitelist are the union of both.
  const expected = () => expectedRanges([...qualifyingValues(tq, COLLECTION_A), ...lines], { whitelist: whitelistValues(tq, COLLECTION_A) });
  const converged = () => JSON.stringify(rangesInEntra(env.graph, LOCATION).all) === JSON.stringify(expected());
  await until('soak: first scheduled sync in Entra', converged, 90_000, 250);
  log('first scheduled sync reached Entra');

  const started = Date.now();
  for (let cycle = 0; cycle < minutes; cycle += 1) {
    const at = (s: number) => sleep(Math.max(0, started + cycle * 60_000 + s * 1000 - Date.now()));
    lines = fileLines(cycle, true);
    env.writeFile('list', lines);
    await at(8);
    const bScheduled = cycle % 2 === 0;
    rewriteConfig(
      cfg,
      (doc) => {
        const cols = doc['sources'][0].collections;
        if (bScheduled) {
          cols[1].schedule = { every: '5s' };
          delete cols[0].schedule;
        } else {
          cols[0].schedule = { every: '4s' };
          delete cols[1].schedule;
        }
      },
      true,
    );
    await procs['scheduler']?.waitFor(bScheduled ? /removed \(collect:tq:6d4c1f0e2b9a8c7d\)/ : /removed \(collect:tq:a1b2c3d4e5f6\)/, 20_000);
    await at(15);
    await stop('worker-1', 'SIGTERM');
    await startWorker('worker-1');
    await at(25);
    lines = fileLines(cycle, false);
    env.writeFile('list', lines);
    await at(35);
    await stop('worker-2', 'SIGKILL');
    await startWorker('worker-2');
    await at(45);
    rewriteConfig(cfg, (doc) => void (doc['sources'][1].schedule = { every: cycle % 2 === 0 ? '4s' : '3s' }), false);
    await at(58);
    await sample(cycle + 1);
  }
  await until('soak: Entra equal to the final desired set', converged, 120_000, 250);
  log('Entra equals the final desired set');

  const queues = createQueues(bullConnection(env.redis.url), env.redis.prefix);
  const failedJobs: SoakResult['failedJobs'] = [];
  for (const q of [queues.collect, queues.ingest, queues.reconcile]) {
    for (const j of await q.getJobs(['failed'])) failedJobs.push({ queue: q.name, id: j.id ?? '', reason: j.failedReason });
  }
  await queues.close();
  const keys = stateKeys(env.redis.prefix);
  const scheduledRuns: RunRecord[] = [];
  for await (const batch of scanKeys(redis, `${env.redis.prefix}:state:run:collect-*`)) {
    for (const k of batch) {
      const run = await readRun(redis, keys, decodeURIComponent(k.slice(`${env.redis.prefix}:state:run:`.length)));
      if (run?.trigger === 'schedule') scheduledRuns.push(run);
    }
  }
  redis.disconnect();
  const entra = rangesInEntra(env.graph, LOCATION).all;
  const schedulerOutput = procs['scheduler']?.output() ?? '';
  for (const name of ['scheduler', 'dashboard', 'worker-1', 'worker-2']) await stop(name, 'SIGTERM');
  return { stops, samples, failedJobs, scheduledRuns, entra, expected: expected(), schedulerOutput, workerOutputs };
}
