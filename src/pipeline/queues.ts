/**
 * Queue names, the job payload registry, and queue construction.
 *
 *   collect    one job per source-collection run: pages the source, adds ingest children of at most
 *              objectsPerRun indicators, waits for them, commits the run's snapshot, enqueues reconciles
 *   ingest     one job per chunk: parse, validate, classify, stage ranges, count rejections
 *   reconcile  one job per target (deduplicated: at most one waiting and one active per target),
 *              serialised by the target lock; fan-in of committed snapshots, plan, apply
 *
 * Job data never holds secrets: only names, ids, indicator values and counts.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { IndicatorType } from '../sources/source-types.ts';

export const QUEUE = Object.freeze({ collect: 'collect', ingest: 'ingest', reconcile: 'reconcile' } as const);
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export type Trigger = 'schedule' | 'manual' | 'cli';

export interface CollectJobData {
  source: string;
  collection: string;
  /** Manual runs (sync --manual) reconcile with clearOnManualRun semantics. */
  manual: boolean;
  trigger: Trigger;
  /** Progress of a run through its steps; rewritten with job.updateData as it goes. */
  step?: 'collect' | 'wait' | 'commit';
  /** Bumped each time the collect step starts again (after a crash), so chunk ids never mix attempts. */
  attempt?: number;
  chunks?: number;
  seen?: number;
  kept?: number;
  filtered?: Record<string, number>;
  pages?: number;
  startedAt?: string;
}

/** One indicator in an ingest chunk: [value, type, score, updatedAt] (compact: chunks travel through Redis). */
export type CompactIndicator = [value: string, type: IndicatorType | null, score: number | null, updatedAt: string | null];

export interface IngestJobData {
  runId: string;
  source: string;
  collection: string;
  chunk: number;
  /** Line/item number of the first indicator of the chunk in the run (1-based), for reports. */
  offset: number;
  indicators: CompactIndicator[];
  /** The strictest safety options of the targets this collection feeds. */
  options: { minPrefixV4: number; minPrefixV6: number; allowReserved: boolean };
}

export interface ReconcileJobData {
  target: string;
  manual: boolean;
  force: boolean;
  trigger: Trigger;
  /** The runs whose commits asked for this reconcile (for reports). */
  runIds: string[];
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  ranges: number;
}

export interface JobPayloads {
  collect: CollectJobData;
  ingest: IngestJobData;
  reconcile: ReconcileJobData;
}

export interface Queues {
  collect: Queue<CollectJobData>;
  ingest: Queue<IngestJobData>;
  reconcile: Queue<ReconcileJobData>;
  close(): Promise<void>;
}

/** A connection suitable for BullMQ workers and queue events (never gives up on a command). */
export function bullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const collect = new Queue<CollectJobData>(QUEUE.collect, { connection, prefix });
  const ingest = new Queue<IngestJobData>(QUEUE.ingest, { connection, prefix });
  const reconcile = new Queue<ReconcileJobData>(QUEUE.reconcile, { connection, prefix });
  return {
    collect,
    ingest,
    reconcile,
    async close() {
      await Promise.all([collect.close(), ingest.close(), reconcile.close()]);
    },
  };
}
