/**
 * The ingest stage: one chunk of a collect run (ingest-chunk.ts), its ranges staged under the run's
 * staging id (with its provenance, state/provenance-store.ts) and its counts recorded under its chunk number, so running a chunk twice gives the same
 * result.
 */
import type { IngestJobData, IngestResult } from '../../queues.ts';
import { STAGE_TTL_SECONDS, stageChunk } from '../../../state/snapshot-store.ts';
import { stageProvenance } from '../../../state/provenance-store.ts';
import { recordChunk } from '../../run-store.ts';
import { recordIndicators } from '../../../observability/metrics-store.ts';
import { safely } from '../record-metrics.ts';
import type { StageDeps } from '../stage-deps.ts';
import { ingestChunk } from './ingest-chunk.ts';

export async function runIngest(data: IngestJobData, deps: StageDeps): Promise<IngestResult> {
  const { runId, chunk, source, collection } = data;
  const o = ingestChunk(data);
  await stageChunk(deps.redis, deps.keys, runId, chunk, o.entries);
  await stageProvenance(deps.redis, deps.keys, runId, chunk, o.provenance, STAGE_TTL_SECONDS);
  const counts = { accepted: o.accepted, rejected: o.rejected, reasons: o.reasons, warnings: o.warnings };
  await recordChunk(deps.redis, deps.keys, runId, chunk, counts, o.examples, { source, collection });
  await safely(deps, deps.logger, 'indicators', () =>
    recordIndicators(deps.redis, deps.config.redis.prefix, { source, collection, accepted: o.accepted, rejectedByReason: o.reasons, once: `${runId}:${chunk}` }),
  );
  return { accepted: o.accepted, rejected: o.rejected, ranges: o.entries.length };
}
