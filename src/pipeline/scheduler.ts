/**
 * Job schedulers: one BullMQ job scheduler per scheduled (source, collection), id
 * `collect:<source>:<collection>`, upserted from the configuration; schedulers with that id shape
 * that the configuration no longer names are removed. BullMQ 6 has no repeatable jobs:
 * `upsertJobScheduler` only, through the producer (producer.ts `scheduleCollect`). `every` schedules
 * start immediately, cron ones at the next match (UTC).
 */
import type { Config } from '../config/schema.ts';
import type { Queues } from './queues.ts';
import { collectionsOf } from '../config/collections.ts';
import { isCollectSchedulerId, scheduleCollect } from './producer.ts';
import { jobRetentionOf } from './queues.ts';
import { configFingerprint } from './config-fingerprint.ts';

export interface SchedulerSyncResult {
  upserted: string[];
  removed: string[];
}

export async function syncSchedulers(config: Config, queues: Queues): Promise<SchedulerSyncResult> {
  const wanted = new Set<string>();
  const upserted: string[] = [];
  const fingerprint = configFingerprint(config);
  for (const source of config.sources) {
    for (const { id, schedule } of collectionsOf(source)) {
      if (!schedule) continue;
      const schedulerId = await scheduleCollect(queues, { source: source.name, collection: id, schedule, configFingerprint: fingerprint }, jobRetentionOf(config));
      wanted.add(schedulerId);
      upserted.push(schedulerId);
    }
  }
  const removed: string[] = [];
  const existing = await queues.collect.getJobSchedulers(0, -1);
  for (const s of existing) {
    const key = s.key;
    if (isCollectSchedulerId(key) && !wanted.has(key)) {
      await queues.collect.removeJobScheduler(key);
      removed.push(key);
    }
  }
  return { upserted, removed };
}
