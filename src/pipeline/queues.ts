/**
 * Queue names, the job payload registry, and queue construction.
 *
 *   collect    one job per source-collection run: pages the source, adds ingest children of at most
 *              objectsPerRun indicators, waits for them, commits the run's snapshot, enqueues reconciles
 *   ingest     one job per chunk: parse, validate, classify, stage ranges, count rejections
 *   reconcile  one job per target (deduplicated: at most one waiting and one active per target),
 *              serialised by the target lock; fan-in of committed snapshots, plan, apply
 *   writeback  one job per ThreatQ source with `writeBack` (deduplicated likewise), added by a
 *              successful reconcile of a target any of its collections feeds: tags and attributes of
 *              the indicators whose range is enforced (stages/writeback/run-writeback.ts); never
 *              delays a reconcile
 *   notify     one job per notification to one `notify:` target (src/notify/: made by `notify(event)`
 *              after its dedup window lets it through, sent by workers/notify.ts with retries);
 *              never delays a reconcile
 *
 * Job data never holds secrets: only names, ids, indicator values and counts.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { getLogger } from '../observability/logger.ts';
import { createRedisConnection, isRedisConnectionError, type RedisClient, type RedisEndpoint } from '../redis/redis-connection.ts';
import type { IndicatorType } from '../ranges/index.ts';

export const QUEUE = Object.freeze({ collect: 'collect', ingest: 'ingest', reconcile: 'reconcile', writeBack: 'writeback', notify: 'notify' } as const);
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export type Trigger = 'schedule' | 'manual' | 'cli';

export interface CollectJobData {
  source: string;
  collection: string;
  /** Manual runs (sync --manual) reconcile with clearOnManualRun semantics. */
  manual: boolean;
  trigger: Trigger;
  /** Fingerprint of the configuration that produced the job (config-fingerprint.ts). */
  configFingerprint?: string;
  /** The run's id (run-ids.ts), made when the job is first picked up; scheduled jobs start without. */
  runId?: string;
  /** Progress of a run through its steps; rewritten with job.updateData as it goes. */
  step?: 'collect' | 'wait' | 'commit';
  /** Bumped each time the collect step starts again (after a crash), so chunk ids never mix attempts. */
  attempt?: number;
  chunks?: number;
  seen?: number;
  kept?: number;
  filtered?: Record<string, number>;
  /** Whitelist entries the collect step staged (ThreatQ's whitelist). */
  whitelisted?: number;
  pages?: number;
  startedAt?: string;
}

/** One indicator in an ingest chunk: [value, type, score, updatedAt, createdAt] (compact: chunks travel through Redis). */
export type CompactIndicator = [value: string, type: IndicatorType | null, score: number | null, updatedAt: string | null, createdAt?: string | null];

export interface IngestJobData {
  runId: string;
  source: string;
  collection: string;
  chunk: number;
  /** Line/item number of the first indicator of the chunk in the run (1-based), for reports. */
  offset: number;
  indicators: CompactIndicator[];
  /** The strictest safety options of the targets this collection feeds (config.resolved.collections). */
  options: { minPrefixV4: number; minPrefixV6: number; allowReserved: boolean };
}

export interface ReconcileJobData {
  target: string;
  manual: boolean;
  force: boolean;
  trigger: Trigger;
  configFingerprint?: string;
  /** The run's id (run-ids.ts), made when the job is first picked up. */
  runId?: string;
  /** The runs whose commits asked for this reconcile (for reports). */
  runIds: string[];
}

export interface WriteBackJobData {
  source: string;
  /** The targets whose reconcile asked for it (for logs; the job reads every target the source's collections feed). */
  targets: string[];
  /** Epoch seconds of the run, set when the job is first picked up (the same on every attempt). */
  at?: number;
}

/**
 * One notification to one `notify:` target. Names the target: the worker reads its URL from the
 * configuration (job data never holds it). `event` is a src/notify/notify-events.ts NotifyEvent (names,
 * counts, codes and secret-free messages), decoded again by the worker.
 */
export interface NotifyJobData {
  target: string;
  /** When the event was raised (ISO 8601). */
  at: string;
  event: { readonly kind: string } & Readonly<Record<string, unknown>>;
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
  writeback: WriteBackJobData;
  notify: NotifyJobData;
}

export interface Queues {
  collect: Queue<CollectJobData>;
  ingest: Queue<IngestJobData>;
  reconcile: Queue<ReconcileJobData>;
  writeBack: Queue<WriteBackJobData>;
  notify: Queue<NotifyJobData>;
  /** Finished-job retention every job added through these queues gets (producer.ts). */
  retention: JobRetention;
  close(): Promise<void>;
}

/**
 * A connection suitable for BullMQ workers and queue events (never gives up on a command), made by
 * src/redis/redis-connection.ts: error listener attached, backoff, one log line per state change.
 */
export function bullConnection(endpoint: RedisEndpoint): RedisClient {
  return createRedisConnection(endpoint, { maxRetriesPerRequest: null });
}

/**
 * Every BullMQ object needs an `error` listener (without one BullMQ prints each error with its stack
 * on the console). Connection errors are already reported once per state change by the connection.
 */
export function quietBullErrors(emitter: { on(event: 'error', listener: (e: Error) => void): unknown }, what: string): void {
  const log = getLogger('queue');
  emitter.on('error', (e: Error) => {
    if (!isRedisConnectionError(e)) log.warn('BullMQ error', { queue: what, error: e.message });
  });
}

/**
 * How many finished jobs each queue keeps for the dashboard and `sync --wait`, and for how long
 * (configuration `jobs:`). The count caps Redis whatever the schedule: a run every few seconds keeps
 * Redis flat once the cap is reached.
 */
export interface JobRetention {
  keepCompleted: number;
  keepFailed: number;
  keepForMs: number;
  /** Entries of each queue's event stream (BullMQ trims it to about this many; its default 10,000). */
  keepEvents: number;
}

export const DEFAULT_JOB_RETENTION: JobRetention = Object.freeze({ keepCompleted: 1000, keepFailed: 5000, keepForMs: 7 * 86_400_000, keepEvents: 10_000 });

/** The retention a configuration asks for. */
export function jobRetentionOf(config: { jobs: JobRetention }): JobRetention {
  const { keepCompleted, keepFailed, keepForMs, keepEvents } = config.jobs;
  return { keepCompleted, keepFailed, keepForMs, keepEvents };
}

export function createQueues(connection: ConnectionOptions, prefix: string, retention: JobRetention = DEFAULT_JOB_RETENTION): Queues {
  // Every Queue writes the event-stream cap into the queue's meta when it starts: all must agree.
  const opts = { connection, prefix, streams: { events: { maxLen: retention.keepEvents } } };
  const collect = new Queue<CollectJobData>(QUEUE.collect, opts);
  const ingest = new Queue<IngestJobData>(QUEUE.ingest, opts);
  const reconcile = new Queue<ReconcileJobData>(QUEUE.reconcile, opts);
  const writeBack = new Queue<WriteBackJobData>(QUEUE.writeBack, opts);
  const notify = new Queue<NotifyJobData>(QUEUE.notify, opts);
  quietBullErrors(collect, QUEUE.collect);
  quietBullErrors(ingest, QUEUE.ingest);
  quietBullErrors(reconcile, QUEUE.reconcile);
  quietBullErrors(writeBack, QUEUE.writeBack);
  quietBullErrors(notify, QUEUE.notify);
  return {
    collect,
    ingest,
    reconcile,
    writeBack,
    notify,
    retention,
    async close() {
      await Promise.all([collect.close(), ingest.close(), reconcile.close(), writeBack.close(), notify.close()]);
    },
  };
}
