/**
 * After a successful reconcile of a target: one write-back job per ThreatQ source collection that
 * feeds the target and has `writeBack` (producer.ts enqueueWriteBack, deduplicated per collection).
 * Never fails the reconcile: an enqueue that fails is logged (the next successful reconcile of any
 * target the collection feeds asks again).
 */
import { feedersOf } from '../../../config/collections.ts';
import { coerceError } from '../../../errors/sync-error.ts';
import type { Logger } from '../../../observability/logger.ts';
import { enqueueWriteBack } from '../../producer.ts';
import type { StageDeps } from '../stage-deps.ts';

export async function enqueueWriteBacksAfter(deps: StageDeps, target: string, log: Logger): Promise<void> {
  for (const { source, collection } of feedersOf(deps.config, target)) {
    const s = deps.config.sources.find((x) => x.name === source);
    if (s?.kind !== 'threatq' || s.writeBack === undefined) continue;
    try {
      const jobId = await enqueueWriteBack(deps.queues, { source, collection, target });
      log.debug('write-back queued', { source, collection, jobId });
    } catch (e) {
      log.warn('could not queue the write-back to ThreatQ', { source, collection, error: deps.describeError(coerceError(e)) });
    }
  }
}
