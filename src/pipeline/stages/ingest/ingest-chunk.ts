/**
 * Pure: one ingest chunk through the range engine. Each indicator is parsed, validated and classified
 * with the chunk's parse options (the strictest floors of the targets its collection feeds); accepted
 * ranges are merged within the chunk, each keeping the highest priority weight it covers; every
 * rejection is counted by reason code with a few examples (invariant 7: bad input never stops a run).
 */
import { mergeWeighted, parseIndicator } from '../../../ranges/index.ts';
import type { IngestJobData } from '../../queues.ts';
import { priorityWeight } from '../../priority.ts';
import type { WeightedRange } from '../../../state/snapshot-codec.ts';
import { provenanceLine } from '../../../state/provenance-store.ts';
import { EXAMPLES_PER_REASON, EXAMPLE_MAX_CHARS, type RejectExample } from '../../run-store.ts';

export interface ChunkOutcome {
  entries: WeightedRange[];
  /** One line per accepted indicator range (state/provenance-store.ts provenanceLine). */
  provenance: string[];
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  examples: Record<string, RejectExample[]>;
}

export function ingestChunk(data: Pick<IngestJobData, 'indicators' | 'offset' | 'options'>): ChunkOutcome {
  const out: ChunkOutcome = { entries: [], provenance: [], accepted: 0, rejected: 0, reasons: {}, warnings: {}, examples: {} };
  const entries: WeightedRange[] = [];
  data.indicators.forEach(([value, type, score, updatedAt, createdAt], i) => {
    const r = parseIndicator(value, type ?? undefined, data.options);
    if (r.ok) {
      out.accepted += 1;
      const weight = priorityWeight(score, updatedAt);
      for (const cidr of r.cidrs) {
        entries.push({ cidr, weight });
        out.provenance.push(provenanceLine(cidr, value, score, createdAt ?? null, updatedAt));
      }
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
