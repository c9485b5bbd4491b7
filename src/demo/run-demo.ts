/**
 * The one-command demo (`npm run demo` = `tq-entra demo`): on a local Redis (REDIS_URL or
 * 127.0.0.1:6379) it starts, in this process, two ThreatQ emulators with generated data (the three IP
 * types plus FQDN/URL/hash indicators, Active/Expired/Whitelisted statuses, malformed and reserved
 * values), the Graph emulator (HTTPS, real @azure/identity sign-in), a worker and the dashboard; runs
 * one full sync of both sources with `config/demo.yaml`; prints what happened; then keeps the
 * dashboard up until Ctrl-C (`once` stops at once).
 *
 * Isolation: each demo uses a Redis prefix of its own (`tq-entra-demo-<random>`, deleted when it
 * closes) and free ports for the emulators, the worker's health server and the dashboard (unless
 * `dashboardPort`/`workerPort` name one), so two demos, or a demo beside a running worker, never share
 * state or collide on a port. Graph is paced at `rps` requests per second (default 5, emulator
 * throttling to match) so the demo is quick; a real tenant allows 1.
 *
 * The worker is started with the `startWorkers` the caller hands in (the CLI's, from the process
 * entry workers/main.ts): src/ never imports workers/.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';
import { loadConfigFile } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { startGraphEmulator, type GraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { startThreatQEmulator, type ThreatQEmulator } from '../emulators/threatq/threatq-emulator.ts';
import { startDashboard, type DashboardHandle } from '../dashboard/dashboard-server.ts';
import { bullConnection, createQueues, jobRetentionOf } from '../pipeline/queues.ts';
import { enqueueCollect } from '../pipeline/producer.ts';
import { stateKeys } from '../state/redis-keys.ts';
import { followRuns, type Outcome } from '../pipeline/follow-runs.ts';
import type { Queues } from '../pipeline/queues.ts';
import type { RunningWorkers, StartWorkers } from '../pipeline/worker-runtime.ts';
import { deleteKeysByPrefix } from '../redis/redis-scan.ts';
import { createRedisConnection, type RedisEndpoint } from '../redis/redis-connection.ts';
import { buildDemoSummary, formatDemoSummary, type DemoSummary } from './demo-summary.ts';

export const DEMO_CONFIG = join(PROJECT_ROOT, 'config', 'demo.yaml');

export interface DemoOptions {
  /** Indicators generated on each ThreatQ emulator. Default [30000, 30000]. */
  indicators?: [number, number];
  /** Graph requests per second (pacing and emulator throttle); 0: no throttling. Default 5. */
  rps?: number;
  /** Dashboard port; 0 (default): a free one. */
  dashboardPort?: number;
  /** Worker /metrics port; default: a free one. */
  workerPort?: number;
  timeoutMs?: number;
  write?: (text: string) => void;
  /** How to run the worker: handed in by the process entry (workers/main.ts) through the CLI. */
  startWorkers: StartWorkers;
}

export interface DemoRun {
  config: Config;
  summary: DemoSummary;
  text: string;
  outcomes: Outcome[];
  ok: boolean;
  dashboardUrl: string;
  dashboardPassword: string;
  graph: GraphEmulator;
  threatq: ThreatQEmulator[];
  close(): Promise<void>;
}

/** A port that was free a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function wipePrefix(endpoint: RedisEndpoint, prefix: string): Promise<void> {
  const redis = createRedisConnection(endpoint, { maxRetriesPerRequest: 2 });
  try {
    await deleteKeysByPrefix(redis, `${prefix}:`);
  } finally {
    redis.disconnect();
  }
}

interface Emulators {
  east: ThreatQEmulator;
  west: ThreatQEmulator;
  graph: GraphEmulator;
}

async function startEmulators(options: DemoOptions, write: (text: string) => void): Promise<Emulators> {
  const [eastCount, westCount] = options.indicators ?? [30_000, 30_000];
  const rps = options.rps ?? 5;
  write(`Starting emulators: ThreatQ "tq-east" (${eastCount.toLocaleString('en-US')} indicators), "tq-west" (${westCount.toLocaleString('en-US')}), Microsoft Graph…\n`);
  const east = await startThreatQEmulator({ idOffset: 40, generate: { count: eastCount, seed: 1 } });
  const west = await startThreatQEmulator({ idOffset: 4000, generate: { count: westCount, seed: 2 } });
  const graph = await startGraphEmulator({ throttle: { requestsPerSecond: rps, burst: 1, retryAfterSeconds: null } });
  return { east, west, graph };
}

/** config/demo.yaml pointed at the emulators, with a Redis prefix of its own. */
async function demoConfig(emulators: Emulators, options: DemoOptions, password: string): Promise<Config> {
  const rps = options.rps ?? 5;
  const loaded = loadConfigFile(DEMO_CONFIG, {
    env: {
      ...process.env,
      DEMO_TQ_EAST_URL: emulators.east.url,
      DEMO_TQ_WEST_URL: emulators.west.url,
      DEMO_GRAPH_URL: emulators.graph.graphBaseUrl,
      DEMO_GRAPH_CA_FILE: emulators.graph.caFile,
      DEMO_GRAPH_RPS: String(rps === 0 ? 50 : rps),
      DEMO_BIND_HOST: '127.0.0.1',
      DEMO_WORKER_PORT: String(options.workerPort ?? (await freePort())),
      DEMO_DASHBOARD_PORT: String(options.dashboardPort ?? 0),
      DEMO_DASHBOARD_PASSWORD: password,
    },
  });
  return Object.freeze({ ...loaded, redis: Object.freeze({ ...loaded.redis, prefix: `${loaded.redis.prefix}-${randomBytes(3).toString('hex')}` }) });
}

/** One run of every source collection (through the producer), followed to the reconciles it triggers. */
async function syncAll(config: Config, queues: Queues, timeoutMs: number): Promise<Outcome[]> {
  const collectIds: string[] = [];
  for (const c of config.resolved.collections) collectIds.push(await enqueueCollect(queues, { source: c.source, collection: c.collection, manual: false, trigger: 'cli' }));
  return followRuns(config, queues, collectIds, [], timeoutMs);
}

function demoText(summary: DemoSummary, outcomes: readonly Outcome[], dashboardUrl: string, password: string): { text: string; ok: boolean } {
  const failures = outcomes.filter((o) => !o.ok).map((o) => `  FAILED ${o.queue} ${o.jobId}: ${o.error ?? ''}`);
  const text = [
    '',
    formatDemoSummary(summary),
    ...(failures.length > 0 ? ['', ...failures] : []),
    '',
    `Dashboard: ${dashboardUrl}/queues  (user "demo", password "${password}")  ·  metrics: ${dashboardUrl}/metrics`,
    '',
  ].join('\n');
  return { text, ok: failures.length === 0 };
}

export async function runDemo(options: DemoOptions): Promise<DemoRun> {
  const write = options.write ?? ((t: string) => void process.stdout.write(t));
  const started = Date.now();
  const emulators = await startEmulators(options, write);
  const password = randomBytes(9).toString('base64url');
  const config = await demoConfig(emulators, options, password);
  let workers: RunningWorkers | undefined;
  let dashboard: DashboardHandle | undefined;
  const connection = bullConnection(config.redis);
  const queues = createQueues(connection, config.redis.prefix, jobRetentionOf(config));
  const close = async () => {
    await dashboard?.close();
    await workers?.close();
    await queues.close();
    connection.disconnect();
    await Promise.all([emulators.east.close(), emulators.west.close(), emulators.graph.close()]);
    await wipePrefix(config.redis, config.redis.prefix).catch(() => undefined);
  };
  try {
    await wipePrefix(config.redis, config.redis.prefix);
    workers = await options.startWorkers(config);
    write(`Worker started; syncing both sources into target "${config.targets[0]?.name ?? ''}" (policy starts report-only)…\n`);
    const outcomes = await syncAll(config, queues, options.timeoutMs ?? 10 * 60_000);
    const covered = outcomes.find((o) => o.queue === 'reconcile' && o.ok)?.jobId;
    const summary = await buildDemoSummary(connection, stateKeys(config.redis.prefix), config, emulators.graph, Date.now() - started, covered);
    dashboard = await startDashboard(config);
    const { text, ok } = demoText(summary, outcomes, dashboard.url, password);
    write(text);
    const { graph, east, west } = emulators;
    return { config, summary, text, outcomes, ok, dashboardUrl: dashboard.url, dashboardPassword: password, graph, threatq: [east, west], close };
  } catch (e) {
    await close();
    throw e;
  }
}
