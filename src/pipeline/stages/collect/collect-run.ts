/**
 * What the steps of one collect run share (collect-source.ts, commit-run.ts, run-collect.ts): the run's
 * id, its source and resolved collection settings, its logger and its run record as first written;
 * and the job data with the step boundaries behind the run record's `timings` (epoch ms, kept in the
 * job data so they survive the wait).
 */
import type { SourceConfig, CollectionSettings } from '../../../config/schema.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { CollectJobData } from '../../queues.ts';
import type { RunRecord } from '../../run-store.ts';

export interface CollectRun {
  runId: string;
  source: SourceConfig;
  settings: CollectionSettings;
  log: Logger;
  /** The run record as written when the collect step starts (status running). */
  record: RunRecord;
}

/** CollectJobData plus the step boundaries behind `timings` (epoch ms). */
export type TimedCollectData = CollectJobData & { collectStartMs?: number; collectedMs?: number };

export interface CollectResult {
  runId: string;
  source: string;
  collection: string;
  seen: number;
  kept: number;
  accepted: number;
  rejected: number;
  ranges: number;
  chunks: number;
  reconcileJobIds: string[];
}
