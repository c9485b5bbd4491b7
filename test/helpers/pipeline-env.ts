/**
 * A whole pipeline environment for integration tests: ThreatQ emulators and a Graph emulator running
 * in this process over real HTTP(S), a configuration file pointing at them with a unique Redis prefix,
 * and helpers to run real `tq-entra worker` processes and CLI commands against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { startGraphEmulator, DEFAULT_APPS, DEFAULT_TENANT_ID, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { startThreatQEmulator, type ThreatQEmulator, type ThreatQEmulatorOptions } from '../../src/emulators/threatq/threatq-emulator.ts';
import { BIN, runCli, type CliResult } from './run-cli.ts';
import { testRedis, type TestRedis, type TestRedisTarget } from './redis.ts';
import { stageId } from '../../src/pipeline/run-ids.ts';

export interface EnvOptions {
  /** `collections`: further keys of a collection (minScore, …) beside its id; `source`: of the source (whitelistCollection, …). */
  threatq?: { name: string; options: ThreatQEmulatorOptions; collections: ({ id: string } & Record<string, unknown>)[]; source?: Record<string, unknown> }[];
  files?: { name: string; lines: string[] }[];
  graph?: Parameters<typeof startGraphEmulator>[0];
  /** Merged over the default target. */
  target?: Record<string, unknown>;
  worker?: Record<string, unknown>;
  /** Further top-level configuration keys (e.g. `pipeline`). */
  config?: Record<string, unknown>;
  /** Use this Redis instead of the suite's: a URL (e.g. a redis-server the test restarts) or a Redis Cluster. */
  redis?: string | TestRedisTarget | undefined;
}

export interface PipelineEnv {
  dir: string;
  configPath: string;
  config: Config;
  redis: TestRedis;
  graph: GraphEmulator;
  threatq: Record<string, ThreatQEmulator>;
  files: Record<string, string>;
  cli(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  startWorker(extraArgs?: string[]): Promise<WorkerProcess>;
  /** Rewrite a file source (the next run reads the new content). */
  writeFile(name: string, lines: string[]): void;
  close(): Promise<void>;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const writer = DEFAULT_APPS[0];

export async function startPipelineEnv(options: EnvOptions = {}): Promise<PipelineEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'tqe-env-'));
  const redis = testRedis('env', options.redis);
  const graph = await startGraphEmulator({ throttle: { requestsPerSecond: 0 }, ...options.graph });
  const threatq: Record<string, ThreatQEmulator> = {};
  const files: Record<string, string> = {};
  const sources: Record<string, unknown>[] = [];
  for (const tq of options.threatq ?? []) {
    const emu = await startThreatQEmulator(tq.options);
    threatq[tq.name] = emu;
    const client = emu.clients[0];
    sources.push({
      name: tq.name,
      kind: 'threatq',
      url: emu.url,
      auth: { grant: 'client_credentials', clientId: client?.clientId, clientSecret: client?.clientSecret },
      collections: tq.collections.map((c) => ({ targets: ['corp'], ...c })),
      ...tq.source,
    });
  }
  for (const f of options.files ?? []) {
    const path = join(dir, `${f.name}.txt`);
    writeFileSync(path, `${f.lines.join('\n')}\n`);
    files[f.name] = path;
    sources.push({ name: f.name, kind: 'file', path, targets: ['corp'] });
  }
  const doc = {
    redis: redis.config,
    sources,
    targets: [
      {
        name: 'corp',
        tenantId: DEFAULT_TENANT_ID,
        clientId: writer?.clientId,
        clientSecret: writer?.clientSecret,
        tls: { caFile: graph.caFile },
        cloud: { graphBaseUrl: graph.graphBaseUrl, authorityHost: graph.authorityHost },
        rateLimit: { requestsPerSecond: 50 },
        objectsPerRun: 1000,
        namedLocation: { name: 'TQ Blocked' },
        policy: { name: 'TQ Block' },
        ...options.target,
      },
    ],
    worker: { lockDurationMs: 5000, stalledIntervalMs: 2000, http: { port: 0 }, ...options.worker },
    ...options.config,
  };
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(doc));
  const config = loadConfigFile(configPath, { env: {} });
  const workers: WorkerProcess[] = [];
  const env: PipelineEnv = {
    dir,
    configPath,
    config,
    redis,
    graph,
    threatq,
    files,
    cli: (args, o) => runCli([...args, '--config', configPath], { env: redis.childEnv, timeoutMs: o?.timeoutMs ?? 120_000 }),
    async startWorker(extraArgs = []) {
      const w = await startWorkerProcess(configPath, redis.childEnv, extraArgs);
      workers.push(w);
      return w;
    },
    writeFile(name, lines) {
      const path = files[name];
      if (!path) throw new Error(`no file source ${name}`);
      writeFileSync(path, `${lines.join('\n')}\n`);
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await Promise.all([graph.close(), ...Object.values(threatq).map((t) => t.close())]);
      await redis.cleanup();
    },
  };
  return env;
}

/** `redisEnv`: the test Redis's `childEnv` (REDIS_URL, emptied for a cluster configuration). */
export async function startWorkerProcess(configPath: string, redisEnv: Record<string, string>, extraArgs: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--config', configPath, ...extraArgs], {
    env: { ...process.env, ...redisEnv, LOG_FORMAT: 'json', LOG_LEVEL: process.env['TEST_WORKER_LOG_LEVEL'] ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!out.includes('workers started')) {
    if (child.exitCode !== null) throw new Error(`worker exited early (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * The staging id of a collect job's first attempt, once the job has been picked up (run ids are made
 * by the worker and kept in the job's data: src/pipeline/run-ids.ts); undefined before that.
 */
export async function firstStageIdOf(env: PipelineEnv, collectJobId = '1'): Promise<string | undefined> {
  const data = await env.redis.client.hget(`${env.redis.prefix}:collect:${collectJobId}`, 'data');
  const runId = data ? (JSON.parse(data) as { runId?: string }).runId : undefined;
  return runId === undefined ? undefined : stageId(runId, 1);
}
