/**
 * bench:pipeline — a ThreatQ emulator collection of N indicators (default 100,000) through real
 * worker processes to a committed snapshot. Prints indicators per second (enqueue → commit) and the
 * peak RSS of every worker process (VmHWM from /proc).
 *
 *   npm run bench:pipeline -- [--indicators N] [--workers W] [--page-size P] [--objects-per-run K]
 *
 * Target (issue 7): ≥ 50,000 indicators/s and worker peak RSS ≤ 400 MB on a 2-core machine.
 * Needs a Redis (REDIS_URL or 127.0.0.1:6379); uses a throw-away key prefix and cleans it up.
 */
import { cpus, totalmem } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startGraphEmulator } from '../src/emulators/graph/graph-emulator.ts';
import { bullConnection, createQueues } from '../src/pipeline/queues.ts';
import { enqueueCollect } from '../src/pipeline/producer.ts';
import { stateKeys } from '../src/state/redis-keys.ts';
import { readSnapshotMeta } from '../src/state/snapshot-store.ts';
import { deleteKeysByPrefix } from '../src/redis/redis-scan.ts';
import { spawnThreatQEmulator } from './lib/emulator-processes.ts';
import { peakRssMb } from './lib/proc-memory.ts';
import { BENCH_COLLECTION, BENCH_SOURCE, writeBenchConfig } from './lib/bench-config.ts';

const { values: args } = parseArgs({
  options: {
    indicators: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '1' },
    'page-size': { type: 'string', default: '2000' },
    'objects-per-run': { type: 'string', default: '5000' },
  },
});
const N = Number(args.indicators);
const WORKERS = Number(args.workers);
const BIN = fileURLToPath(new URL('../bin/tq-entra.js', import.meta.url));
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `tqe-bench:${randomUUID().slice(0, 8)}`;

async function main(): Promise<void> {
  const t0 = Date.now();
  // ThreatQ runs in its own process, as a real instance would (and not on the bench's event loop).
  const tq = await spawnThreatQEmulator(BIN, N, 7);
  const graph = await startGraphEmulator({ throttle: { requestsPerSecond: 0, burst: 1, retryAfterSeconds: null } });
  const { path: configPath } = writeBenchConfig({
    redisUrl,
    prefix,
    threatqUrls: [tq.url],
    graphUrl: graph.graphBaseUrl,
    graphCaFile: graph.caFile,
    pageSize: Number(args['page-size']),
    objectsPerRun: Number(args['objects-per-run']),
    requestsPerSecond: 100,
  });
  const children: ChildProcess[] = [];
  for (let i = 0; i < WORKERS; i += 1) {
    const profile = process.env['BENCH_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF_DIR']}`] : [];
    const child = spawn(process.execPath, [...profile, BIN, 'worker', '--config', configPath], { env: { ...process.env, REDIS_URL: redisUrl, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
  }
  const redis = new Redis(redisUrl);
  const connection = bullConnection(redisUrl);
  const queues = createQueues(connection, prefix);
  const keys = stateKeys(prefix);
  await new Promise((r) => setTimeout(r, 2500)); // let the workers start
  const start = Date.now();
  await enqueueCollect(queues, { source: BENCH_SOURCE, collection: BENCH_COLLECTION, manual: false, trigger: 'cli' });
  let meta = null;
  while (!meta) {
    await new Promise((r) => setTimeout(r, 25));
    meta = await readSnapshotMeta(redis, keys, BENCH_SOURCE, BENCH_COLLECTION);
    if (Date.now() - start > 600_000) throw new Error('no commit within 10 minutes');
  }
  const seconds = (Date.now() - start) / 1000;
  const rss = children.map((c) => peakRssMb(c.pid));
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`indicators in collection: ${N} (seen ${meta.seen}, accepted ${meta.accepted}, rejected ${meta.rejected}, ranges ${meta.ranges})`);
  console.log(`page size ${args['page-size']}, objectsPerRun ${args['objects-per-run']}, worker processes ${WORKERS}`);
  console.log(`enqueue → committed snapshot: ${seconds.toFixed(2)} s = ${Math.round(N / seconds).toLocaleString('en-US')} indicators/s (target ≥ 50,000)`);
  console.log(`worker peak RSS: ${rss.map((r) => `${r.toFixed(0)} MB`).join(', ')} (target ≤ 400 MB)`);
  console.log(`setup ${(start - t0) / 1000} s; ThreatQ emulator in its own process`);
  await Promise.all(children.map((c) => new Promise((resolve) => {
    c.once('exit', resolve);
    c.kill('SIGTERM');
  })));
  await queues.close();
  connection.disconnect();
  await deleteKeysByPrefix(redis, prefix);
  redis.disconnect();
  await tq.stop();
  await graph.close();
}

await main();
