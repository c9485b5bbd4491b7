/**
 * After a successful reconcile of a target: one write-back job per ThreatQ source that has
 * `writeBack` and a collection feeding the target (producer.ts enqueueWriteBack, deduplicated per
 * source: tags and attributes live on the indicator, shared by all the source's collections).
 * Never fails the reconcile: an enqueue that fails is logged (the next successful reconcile of any
 * target the source feeds asks again).
 */
import { feedersOf } from '../../../config/collections.ts';
import { coerceError } from '../../../errors/sync-error.ts';
import type { Logger } from '../../../observability/logger.ts';
import { enqueueWriteBack } from '../../producer.ts';
import type { StageDeps } from '../stage-deps.ts';

export async function enqueueWriteBacksAfter(deps: StageDeps, target: string, log: Logger): Promise<void> {
  const sources = new Set(feedersOf(deps.config, target).map((f) => f.source));
  for (const source of sources) {
    const s = deps.config.sources.find((x) => x.name === source);
    if (s?.kind !== 'threatq' || s.writeBack === undefined) continue;
    try {
      const jobId = await enqueueWriteBack(deps.queues, { source, target });
      log.debug('write-back queued', { source, jobId });
    } catch (e) {
      log.warn('could not queue the write-back to ThreatQ', { source, error: deps.describeError(coerceError(e)) });
    }
  }
}
