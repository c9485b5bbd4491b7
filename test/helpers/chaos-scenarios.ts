/**
 * The four chaos scenarios of issue 9, parameterised so one suite (test/chaos/) runs them with the
 * sizes of a profile (test/helpers/chaos-profile.ts: `quick` inside `npm test`, `full` in
 * `npm run test:chaos`). Every random choice comes from a seeded PRNG, and the seed is printed, so a failure can be replayed.
 *
 *   graphFaults   Graph answers p429 429s and p503 503s at random (optionally with Retry-After)
 *   threatqFaults ThreatQ answers 429s and 500s at random and every token expires mid-collection
 *   workerKills   a worker process is killed with SIGKILL at random points `kills` times, a
 *                 replacement started each time
 *   redisRestart  the run's own redis-server (AOF on) is restarted mid-run `restarts` times
 */
import { mulberry32 } from '../../src/emulators/random-faults.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { CHAOS_COLLECTION, pause, runChaos, type ChaosContext, type ChaosData, type ChaosResult } from './chaos-run.ts';
import { startOwnRedisServer } from './own-redis-server.ts';
import type { WorkerProcess } from './pipeline-env.ts';
import type { TestRedisTarget } from './redis.ts';

export interface GraphFaultOptions {
  seed: number;
  p429: number;
  p503: number;
  retryAfterSeconds?: number;
}

/** `redis`: run on this Redis (e.g. the suite's Redis Cluster) instead of the suite's single Redis. */
export async function graphFaults(data: ChaosData, o: GraphFaultOptions, redis?: TestRedisTarget): Promise<ChaosResult> {
  return runChaos(data, {
    redis,
    arm: (env) =>
      env.graph.setRandomFaults({
        p429: o.p429,
        p503: o.p503,
        seed: o.seed,
        ...(o.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: o.retryAfterSeconds }),
      }),
  });
}

export interface ThreatQChaosFigures {
  tokenExpiries: number;
  faults: Record<string, number>;
  tokenRequests: number;
}

export interface ThreatQFaultOptions {
  seed: number;
  p429: number;
  p500: number;
  /** Every access token is expired once this many pages have been served, for each entry. */
  expireAfterPages: number[];
}

export async function threatqFaults(data: ChaosData, o: ThreatQFaultOptions): Promise<{ run: ChaosResult; figures: ThreatQChaosFigures }> {
  const figures: ThreatQChaosFigures = { tokenExpiries: 0, faults: {}, tokenRequests: 0 };
  const run = await runChaos(data, {
    arm: (env) => env.threatq['tq']?.setRandomFaults({ p429: o.p429, p500: o.p500, seed: o.seed }),
    during: async ({ env, done }) => {
      const tq = env.threatq['tq'];
      if (!tq) return;
      const pages = () => tq.requests().filter((r) => r.path.startsWith('/api/indicators/query/hash/') && r.status === 200).length;
      for (const at of o.expireAfterPages) {
        while (!done() && pages() < at) await pause(5);
        if (done()) break;
        tq.expireTokens();
        figures.tokenExpiries++;
      }
    },
    after: (env) => {
      const tq = env.threatq['tq'];
      figures.faults = tq?.randomFaults()?.fired ?? {};
      figures.tokenRequests = tq?.requests().filter((r) => r.path === '/api/token' && r.status === 200).length ?? 0;
    },
  });
  return { run, figures };
}

export interface KillFigures {
  kills: { afterMs: number; stage: string }[];
}

/** Where the run is when a kill lands: from the run's own Redis state, coarse but honest. */
async function stageOf(ctx: ChaosContext): Promise<string> {
  const keys = stateKeys(ctx.env.config.redis.prefix);
  const snap = await ctx.env.redis.client.exists(keys.snapshotMeta('tq', CHAOS_COLLECTION)).catch(() => 0);
  return snap ? 'reconcile' : 'collect/ingest';
}

export interface KillOptions {
  seed: number;
  kills: number;
  workers: number;
  minGapMs: number;
  maxGapMs: number;
}

/** `redis`: run on this Redis (e.g. the suite's Redis Cluster) instead of the suite's single Redis. */
export async function workerKills(data: ChaosData, o: KillOptions, redis?: TestRedisTarget): Promise<{ run: ChaosResult; figures: KillFigures }> {
  const random = mulberry32(o.seed);
  const figures: KillFigures = { kills: [] };
  const started = Date.now();
  const run = await runChaos(data, {
    redis,
    workers: o.workers,
    during: async (ctx) => {
      // Replacements start in the background: the next kill does not wait for one (on a loaded
      // machine a worker takes many seconds to start, and the run could end before the last kill).
      // With every worker dead the run cannot progress, so waiting for a replacement to kill loses no kill.
      const starting: Promise<WorkerProcess>[] = [];
      const pending = new Set<Promise<WorkerProcess>>();
      for (let k = 0; k < o.kills; k++) {
        await pause(o.minGapMs + Math.floor(random() * (o.maxGapMs - o.minGapMs)));
        if (ctx.done()) break;
        const victim = await aliveWorker(ctx, [...pending], random);
        if (!victim || ctx.done()) break;
        const stage = await stageOf(ctx);
        await victim.stop('SIGKILL');
        figures.kills.push({ afterMs: Date.now() - started, stage });
        const replacement = ctx.startWorker();
        starting.push(replacement);
        pending.add(replacement);
        void replacement.then(() => pending.delete(replacement), () => pending.delete(replacement));
      }
      await Promise.all(starting);
    },
  });
  return { run, figures };
}

/** A running worker chosen at random; with none running, the first still-starting replacement to be ready. */
async function aliveWorker(ctx: ChaosContext, starting: Promise<WorkerProcess>[], random: () => number): Promise<WorkerProcess | undefined> {
  const isAlive = (w: WorkerProcess) => w.child.exitCode === null && w.child.signalCode === null;
  const alive = ctx.workers.filter(isAlive);
  if (alive.length > 0) return alive[Math.floor(random() * alive.length)];
  if (starting.length === 0) return undefined;
  const first = await Promise.race(starting);
  return isAlive(first) ? first : undefined;
}

export interface RestartFigures {
  restarts: { afterMs: number; stage: string }[];
}

export interface RestartOptions {
  seed: number;
  restarts: number;
  minGapMs: number;
  maxGapMs: number;
  downMs: number;
}

export async function redisRestart(data: ChaosData, o: RestartOptions): Promise<{ run: ChaosResult; figures: RestartFigures }> {
  const random = mulberry32(o.seed);
  const server = await startOwnRedisServer();
  const figures: RestartFigures = { restarts: [] };
  const started = Date.now();
  try {
    const run = await runChaos(data, {
      redis: server.url,
      during: async (ctx) => {
        for (let k = 0; k < o.restarts; k++) {
          await pause(o.minGapMs + Math.floor(random() * (o.maxGapMs - o.minGapMs)));
          if (ctx.done()) break;
          const stage = await stageOf(ctx);
          await server.restart(o.downMs);
          figures.restarts.push({ afterMs: Date.now() - started, stage });
        }
      },
    });
    return { run, figures };
  } finally {
    await server.stop();
  }
}
