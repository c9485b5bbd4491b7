/**
 * The ingest processor: one chunk of at most `objectsPerRun` indicators. Each is parsed, validated and
 * classified by the range engine; accepted ranges are merged within the chunk (each keeping the
 * highest priority weight it covers) and staged under the run; every rejection is counted by reason
 * code with a few examples (invariant 7: bad input never stops a run). Staging and counts are keyed by
 * chunk, so running a chunk twice gives the same result.
 */
import type { Job } from 'bullmq';
import { mergeWeighted, parseIndicator } from '../src/ranges/index.ts';
import type { IngestJobData, IngestResult } from '../src/pipeline/queues.ts';
import { priorityWeight } from '../src/pipeline/priority.ts';
import type { WeightedRange } from '../src/pipeline/snapshot-codec.ts';
import { stageChunk } from '../src/pipeline/snapshot-store.ts';
import { EXAMPLES_PER_REASON, EXAMPLE_MAX_CHARS, recordChunk, type RejectExample } from '../src/pipeline/run-store.ts';
import type { WorkerDeps } from './worker-deps.ts';
import { recordIndicators } from '../src/observability/metrics-store.ts';
import { safely } from './record-metrics.ts';

export interface ChunkOutcome {
  entries: WeightedRange[];
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  examples: Record<string, RejectExample[]>;
}

/** Pure: parse one chunk. */
export function ingestChunk(data: Pick<IngestJobData, 'indicators' | 'offset' | 'options'>): ChunkOutcome {
  const out: ChunkOutcome = { entries: [], accepted: 0, rejected: 0, reasons: {}, warnings: {}, examples: {} };
  const entries: WeightedRange[] = [];
  data.indicators.forEach(([value, type, score, updatedAt], i) => {
    const r = parseIndicator(value, type ?? undefined, data.options);
    if (r.ok) {
      out.accepted += 1;
      const weight = priorityWeight(score, updatedAt);
      for (const cidr of r.cidrs) entries.push({ cidr, weight });
      for (const w of r.warnings) out.warnings[w] = (out.warnings[w] ?? 0) + 1;
      return;
    }
    out.rejected += 1;
    out.reasons[r.reason] = (out.reasons[r.reason] ?? 0) + 1;
    const list = (out.examples[r.reason] ??= []);
    if (list.length < EXAMPLES_PER_REASON) {
      list.push({ line: data.offset + i, value: value.length > EXAMPLE_MAX_CHARS ? `${value.slice(0, EXAMPLE_MAX_CHARS)}…` : value });
    }
  });
  out.entries = mergeWeighted(entries);
  return out;
}

export async function processIngest(job: Job<IngestJobData>, deps: WorkerDeps): Promise<IngestResult> {
  const { runId, chunk } = job.data;
  const o = ingestChunk(job.data);
  await stageChunk(deps.redis, deps.keys, runId, chunk, o.entries);
  await recordChunk(deps.redis, deps.keys, runId, chunk, { accepted: o.accepted, rejected: o.rejected, reasons: o.reasons, warnings: o.warnings }, o.examples, {
    source: job.data.source,
    collection: job.data.collection,
  });
  await safely(deps.logger, 'indicators', () =>
    recordIndicators(deps.redis, deps.config.redis.prefix, {
      source: job.data.source,
      collection: job.data.collection,
      accepted: o.accepted,
      rejectedByReason: o.reasons,
      once: `${runId}:${chunk}`,
    }),
  );
  return { accepted: o.accepted, rejected: o.rejected, ranges: o.entries.length };
}
