/**
 * One chaos run: a ThreatQ emulator collection through real worker processes to the Graph emulator,
 * with faults armed before the sync and a `during` hook that acts while the sync is in flight (kill
 * workers, expire tokens, restart Redis). Returns everything the invariant checks need: the Entra
 * picture, duplicates, the Graph request log, the pause windows seen (and any reconcile-queue rate
 * limit, which must never be), the jobs delayed for a throttled tenant, the ground truth and timings.
 *
 * The same `ChaosData` run with no faults is the reference (`referenceRun`, `ReferenceRuns`): a
 * chaos run must end with exactly the reference's Entra picture.
 */
import { DEFAULT_TENANT_ID, type RequestLogEntry } from '../../src/emulators/graph/graph-emulator.ts';
import { mergeCidrs } from '../../src/ranges/index.ts';
import { decodeField, metricKeys } from '../../src/observability/metrics-keys.ts';
import type { CliResult } from './run-cli.ts';
import { duplicateNames, entraPicture, type EntraPicture } from './chaos-entra.ts';
import { watchPauses, type PauseWindow } from './chaos-pause-watch.ts';
import { expectedRanges, qualifyingValues, whitelistValues } from './expected-ranges.ts';
import { startPipelineEnv, type PipelineEnv, type WorkerProcess } from './pipeline-env.ts';
import type { TestRedisTarget } from './redis.ts';

export const CHAOS_COLLECTION = '6d4c1f0e2b9a8c7d';
export const LOCATION_NAME = 'TQ Blocked';

export interface ChaosData {
  indicators: number;
  seed: number;
  objectsPerRun: number;
  maxRangesPerLocation: number;
  /** The target's Graph pacing (requests per second); slower pacing makes reconciles longer. */
  graphRps?: number;
  /** Delay every ThreatQ collection page by this much (a slower collect phase for kills to land in). */
  pageDelayMs?: number;
}

export interface ChaosContext {
  env: PipelineEnv;
  workers: WorkerProcess[];
  /** True once `sync --wait` has returned. */
  done: () => boolean;
  startWorker: () => Promise<WorkerProcess>;
}

export interface ChaosOptions {
  workers?: number;
  /** The run's Redis: a URL (its own redis-server) or the suite's Redis Cluster; default the suite's Redis. */
  redis?: string | TestRedisTarget | undefined;
  arm?: (env: PipelineEnv) => void;
  during?: (ctx: ChaosContext) => Promise<void>;
  /** Called once the sync has returned, before the environment closes (collect figures here). */
  after?: (env: PipelineEnv) => void;
  timeoutMs?: number;
}

export interface ChaosResult {
  sync: CliResult;
  picture: EntraPicture;
  duplicates: { locations: string[]; policies: string[] };
  /** Merged union of every range in the target's locations. */
  inEntra: string[];
  /** Ground truth from the ThreatQ emulator, parsed and merged. */
  expected: string[];
  log: RequestLogEntry[];
  windows: PauseWindow[];
  /** Reconcile-queue rate-limit TTLs the watcher saw: a 429 delays its tenant's work only, so none. */
  queueRateLimits: number[];
  /** Reconcile jobs delayed because a request stayed throttled through all its attempts (metrics store). */
  throttleDelays: number;
  pollErrors: number;
  workerOutput: string;
  durationMs: number;
  graph: { requests: number; byStatus: Record<string, number> };
}

export async function runChaos(data: ChaosData, options: ChaosOptions = {}): Promise<ChaosResult> {
  const env = await startPipelineEnv({
    redis: options.redis,
    threatq: [{ name: 'tq', options: { generate: { count: data.indicators, seed: data.seed } }, collections: [{ id: CHAOS_COLLECTION }] }],
    target: {
      objectsPerRun: data.objectsPerRun,
      rateLimit: { requestsPerSecond: data.graphRps ?? 50 },
      namedLocation: { name: LOCATION_NAME, maxRangesPerLocation: data.maxRangesPerLocation },
    },
  });
  const workers: WorkerProcess[] = [];
  let finished = false;
  const started = Date.now();
  // Our own clients ride out a Redis restart; their connection errors are expected noise.
  env.redis.client.on('error', () => undefined);
  try {
    if (data.pageDelayMs) env.threatq['tq']?.addFault({ match: { path: '/api/indicators/query/hash/' }, delayMs: data.pageDelayMs, times: 1_000_000 });
    options.arm?.(env);
    const startWorker = async () => {
      const w = await env.startWorker();
      workers.push(w);
      return w;
    };
    for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();
    const watch = watchPauses(env.config.redis, env.config.redis.prefix, DEFAULT_TENANT_ID);
    const timeoutMs = options.timeoutMs ?? 240_000;
    const syncing = env.cli(['sync', '--target', 'corp', '--wait', '--timeout', `${Math.ceil(timeoutMs / 1000)}s`], { timeoutMs: timeoutMs + 20_000 }).finally(() => (finished = true));
    const during = options.during?.({ env, workers, done: () => finished, startWorker }) ?? Promise.resolve();
    const [sync] = await Promise.all([syncing, during]);
    const { windows, queueRateLimits, pollErrors } = await watch.stop();
    const throttleDelays = await throttleDelaysOf(env);
    options.after?.(env);
    const tq = env.threatq['tq'];
    if (!tq) throw new Error('unreachable: no ThreatQ emulator');
    const picture = entraPicture(env.graph);
    const log = env.graph.requests({ kind: 'graph' });
    const byStatus: Record<string, number> = {};
    for (const e of log) byStatus[String(e.status)] = (byStatus[String(e.status)] ?? 0) + 1;
    return {
      sync,
      picture,
      duplicates: duplicateNames(env.graph),
      inEntra: mergeCidrs(picture.locations.filter((l) => l.displayName === LOCATION_NAME || l.displayName.startsWith(`${LOCATION_NAME} (`)).flatMap((l) => l.ranges)),
      expected: expectedRanges(qualifyingValues(tq, CHAOS_COLLECTION), { whitelist: whitelistValues(tq, CHAOS_COLLECTION) }),
      log,
      windows,
      queueRateLimits,
      throttleDelays,
      pollErrors,
      workerOutput: workers.map((w, i) => `--- worker ${i}\n${w.output()}`).join('\n'),
      durationMs: Date.now() - started,
      graph: { requests: log.length, byStatus },
    };
  } finally {
    await env.close();
  }
}

/** Reconcile jobs delayed for a throttled tenant, from the cluster-wide metrics (0 when none). */
async function throttleDelaysOf(env: PipelineEnv): Promise<number> {
  const hash = await env.redis.client.hgetall(metricKeys(env.config.redis.prefix).throttleDelays);
  return Object.entries(hash).reduce((n, [field, v]) => n + (decodeField(field, 2)?.[1] === 'count' ? Number(v) : 0), 0);
}

/** The fault-free run of the same data: the picture every chaos run must end with. */
export async function referenceRun(data: ChaosData): Promise<ChaosResult> {
  return runChaos(data);
}

/** The reference runs of a scenario: one per distinct `data` object among its runs, made once each. */
export class ReferenceRuns {
  readonly #runs = new Map<ChaosData, ChaosResult>();

  /** Makes the missing references, in order; returns every reference made so far. */
  async make(datas: readonly ChaosData[]): Promise<[ChaosData, ChaosResult][]> {
    for (const data of datas) if (!this.#runs.has(data)) this.#runs.set(data, await referenceRun(data));
    return [...this.#runs];
  }

  of(data: ChaosData): ChaosResult {
    const reference = this.#runs.get(data);
    if (!reference) throw new Error(`no reference run for data seed ${data.seed} (did the beforeAll fail?)`);
    return reference;
  }
}

/** Sleep helper for `during` hooks. */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
