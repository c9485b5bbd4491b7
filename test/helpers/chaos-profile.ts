/**
 * The chaos suite's profiles: every size, seed, fault rate and timeout its scenarios (test/chaos/)
 * run with, in one place. The vitest config picks the profile (`provide: { chaosProfile }`):
 *
 *   quick  vitest.config.ts, inside `npm test`: 2,000–4,000 indicators, each scenario once; worker
 *          kills only in the collect/ingest phase (a kill in the reconcile waits out the dead
 *          holder's lock lease); no graph-consistency scenario (minutes of 5 s replication lag).
 *   full   vitest.chaos.config.ts, `npm run test:chaos`: 20,000 indicators, two or three seeds per
 *          scenario, kills during the reconcile too, a Retry-After variant, graph-consistency.
 *
 * A scenario's runs that share one `data` object share one fault-free reference run. The test names
 * carry the seeds, so one run can be replayed with `-t "seed 32"`.
 */
import { inject } from 'vitest';
import type { ChaosData } from './chaos-run.ts';
import type { GraphFaultOptions, KillOptions, RestartOptions, ThreatQFaultOptions } from './chaos-scenarios.ts';

export type ChaosProfileName = 'quick' | 'full';

declare module 'vitest' {
  export interface ProvidedContext {
    chaosProfile: ChaosProfileName;
  }
}

export interface ScenarioTimeouts {
  /** The beforeAll that makes the fault-free reference runs. */
  referenceMs: number;
  /** Each chaos run. */
  runMs: number;
}

/** One chaos run: its data (shared with its reference run) and the scenario's options. */
export type ChaosRun<O> = O & { data: ChaosData };

export interface Scenario<O> {
  timeouts: ScenarioTimeouts;
  runs: ChaosRun<O>[];
}

/** Where the kills are meant to land: decided by the data (slow pages or slow Graph pacing). */
export type KillRun = KillOptions & { aim: 'collect/ingest' | 'reconcile' };

export interface ChaosProfile {
  name: ChaosProfileName;
  graphFaults: Scenario<GraphFaultOptions>;
  threatqFaults: Scenario<ThreatQFaultOptions>;
  workerKills: Scenario<KillRun>;
  redisRestart: Scenario<RestartOptions>;
  /** test/chaos/graph-consistency.test.ts; `null`: not in this profile. CHAOS_SEED overrides the seed. */
  graphConsistency: { seed: number } | null;
}

// --- quick: the reduced runs inside `npm test` ---------------------------------------------------

const QUICK_GRAPH: ChaosData = { indicators: 2000, seed: 21, objectsPerRun: 500, maxRangesPerLocation: 300 };
// The emulator serves 500 indicators a page: 8 pages.
const QUICK_THREATQ: ChaosData = { indicators: 4000, seed: 22, objectsPerRun: 500, maxRangesPerLocation: 500 };
// Pages slowed to 400 ms so the collect/ingest phase is long enough for the kills to land in it.
const QUICK_KILLS: ChaosData = { indicators: 4000, seed: 23, objectsPerRun: 200, maxRangesPerLocation: 400, pageDelayMs: 400 };
// Pages slowed to 400 ms so the restart lands while the collect job waits for its ingest children.
const QUICK_RESTART: ChaosData = { indicators: 4000, seed: 24, objectsPerRun: 200, maxRangesPerLocation: 400, pageDelayMs: 400 };

const QUICK: ChaosProfile = {
  name: 'quick',
  graphFaults: {
    timeouts: { referenceMs: 120_000, runMs: 180_000 },
    runs: [{ data: QUICK_GRAPH, seed: 1, p429: 0.3, p503: 0.05 }],
  },
  threatqFaults: {
    timeouts: { referenceMs: 120_000, runMs: 180_000 },
    runs: [{ data: QUICK_THREATQ, seed: 2, p429: 0.15, p500: 0.1, expireAfterPages: [2, 5] }],
  },
  workerKills: {
    timeouts: { referenceMs: 120_000, runMs: 240_000 },
    runs: [{ data: QUICK_KILLS, aim: 'collect/ingest', seed: 3, kills: 3, workers: 2, minGapMs: 300, maxGapMs: 1500 }],
  },
  redisRestart: {
    timeouts: { referenceMs: 120_000, runMs: 240_000 },
    runs: [{ data: QUICK_RESTART, seed: 4, restarts: 1, minGapMs: 500, maxGapMs: 2000, downMs: 500 }],
  },
  graphConsistency: null,
};

// --- full: `npm run test:chaos` ------------------------------------------------------------------

const FULL_GRAPH: ChaosData = { indicators: 20_000, seed: 101, objectsPerRun: 1000, maxRangesPerLocation: 1500 };
// 40 pages.
const FULL_THREATQ: ChaosData = { indicators: 20_000, seed: 102, objectsPerRun: 1000, maxRangesPerLocation: 1500 };
// Pages slowed so the kills land in the collect/ingest phase.
const FULL_KILLS_COLLECT: ChaosData = { indicators: 20_000, seed: 103, objectsPerRun: 500, maxRangesPerLocation: 1500, pageDelayMs: 150 };
// Graph paced at 4 requests/s so the kills land in the reconcile too, where recovery waits for the
// dead holder's target lock lease to end (docs/RELIABILITY.md, finding F1).
const FULL_KILLS_RECONCILE: ChaosData = { indicators: 20_000, seed: 104, objectsPerRun: 1000, maxRangesPerLocation: 1000, graphRps: 4 };
const FULL_RESTART: ChaosData = { indicators: 20_000, seed: 105, objectsPerRun: 500, maxRangesPerLocation: 1000, pageDelayMs: 100, graphRps: 8 };
/** vitest.chaos.config.ts's hook and test timeouts, which the full suite ran under before the merge. */
const FULL_TIMEOUTS: ScenarioTimeouts = { referenceMs: 180_000, runMs: 300_000 };

const FULL: ChaosProfile = {
  name: 'full',
  graphFaults: {
    timeouts: FULL_TIMEOUTS,
    runs: [
      // Two without Retry-After, as Graph's conditional access 429s; one with `Retry-After: 1`, where the
      // log alone shows that nobody called Graph before the wait ended.
      { data: FULL_GRAPH, seed: 11, p429: 0.3, p503: 0.05 },
      { data: FULL_GRAPH, seed: 12, p429: 0.3, p503: 0.05 },
      { data: FULL_GRAPH, seed: 13, p429: 0.3, p503: 0.05, retryAfterSeconds: 1 },
    ],
  },
  threatqFaults: {
    timeouts: FULL_TIMEOUTS,
    runs: [
      { data: FULL_THREATQ, seed: 21, p429: 0.15, p500: 0.1, expireAfterPages: [5, 15, 30] },
      { data: FULL_THREATQ, seed: 22, p429: 0.15, p500: 0.1, expireAfterPages: [5, 15, 30] },
    ],
  },
  workerKills: {
    timeouts: FULL_TIMEOUTS,
    runs: [
      { data: FULL_KILLS_COLLECT, aim: 'collect/ingest', seed: 31, kills: 3, workers: 2, minGapMs: 500, maxGapMs: 3000 },
      { data: FULL_KILLS_RECONCILE, aim: 'reconcile', seed: 32, kills: 3, workers: 2, minGapMs: 1500, maxGapMs: 4000 },
    ],
  },
  redisRestart: {
    timeouts: FULL_TIMEOUTS,
    runs: [
      { data: FULL_RESTART, seed: 41, restarts: 3, minGapMs: 1000, maxGapMs: 4000, downMs: 1000 },
      { data: FULL_RESTART, seed: 42, restarts: 3, minGapMs: 1000, maxGapMs: 4000, downMs: 1000 },
    ],
  },
  graphConsistency: { seed: Number(process.env['CHAOS_SEED'] ?? '15') },
};

const PROFILES: Record<ChaosProfileName, ChaosProfile> = { quick: QUICK, full: FULL };

/** The profile the running vitest config provides; a config that provides none or an unknown one fails. */
export function chaosProfile(): ChaosProfile {
  const name: unknown = inject('chaosProfile');
  const profile = typeof name === 'string' && Object.hasOwn(PROFILES, name) ? PROFILES[name as ChaosProfileName] : undefined;
  if (!profile) {
    throw new Error(`chaos profile ${JSON.stringify(name)} unknown: the vitest config must provide chaosProfile: ${Object.keys(PROFILES).join(' | ')}`);
  }
  return profile;
}

/** 0.3 → "30%", for test names. */
export function percent(p: number): string {
  return `${Math.round(p * 100)}%`;
}
