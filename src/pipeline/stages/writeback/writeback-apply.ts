/**
 * Carrying out the write-back diff of a batch of indicators (one collection page, or one sweep batch)
 * against ThreatQ: each indicator's operations in order, up to APPLY_CONCURRENCY indicators at a time
 * (every request still takes a slot of the instance's pace), and what succeeded folded into the
 * indicator's new record entry (writeback-diff.ts applyOp).
 *
 * A 404 ("gone"): on a delete, the tag or attribute is gone, which is what was wanted; on an add, the
 * indicator no longer exists and its entry is forgotten; on an update, the attribute was deleted by
 * hand (or the indicator), so it leaves the entry and the next run adds it again if still wanted.
 * A request refused for that one indicator (400 or 422, ERR_THREATQ_WRITE_REFUSED: e.g. ThreatQ
 * rejects a value on it) skips the indicator: what succeeded on it is kept, it is counted in
 * `refused` and logged as a warning with its id (no request body, no credentials), and the batch goes
 * on, so one bad indicator cannot stop every later run at the same place of the paging order (it is
 * tried again by the next pass that is not skipped). Any other error stops the batch: 401 or 403
 * (credentials or permissions: every indicator would fail alike), ERR_THREATQ_UNAVAILABLE after the
 * retries, a response that cannot be read, …: no further indicator is started, those under way finish
 * their current request, and the outcome carries what did succeed (to be recorded) with the error (to
 * be thrown after recording).
 */
import type { Logger } from '../../../observability/logger.ts';
import type { WriteBackEntry } from '../../../state/writeback-store.ts';
import { ThreatQWriteRefusedError } from '../../../threatq/errors/threatq-write-refused-error.ts';
import type { ThreatQWriter } from '../../../threatq/threatq-writeback.ts';
import { applyOp, type OpResult, type WriteOp } from './writeback-diff.ts';

/** Indicators written at once per job (each request is paced; this only hides latency). */
const APPLY_CONCURRENCY = 4;

export interface IndicatorWork {
  id: string;
  range: string;
  entry: WriteBackEntry | undefined;
  ops: WriteOp[];
}

export interface WriteBackCounts {
  tagged: number;
  untagged: number;
  removedTagged: number;
  attributesAdded: number;
  attributesUpdated: number;
  attributesRemoved: number;
  /** Indicators that no longer exist in ThreatQ (their entry is forgotten). */
  gone: number;
  /** Indicators skipped because ThreatQ refused a write on them (400/422). */
  refused: number;
}

export function emptyCounts(): WriteBackCounts {
  return { tagged: 0, untagged: 0, removedTagged: 0, attributesAdded: 0, attributesUpdated: 0, attributesRemoved: 0, gone: 0, refused: 0 };
}

export interface ApplyOptions {
  /** Where a skipped indicator is reported. */
  log?: Logger;
  /** Indicators written at once. */
  concurrency?: number;
}

/** Refused for this one indicator (400/422): skipped; a 403 (permissions) is not. */
function refusedForIndicator(e: unknown): e is ThreatQWriteRefusedError {
  return e instanceof ThreatQWriteRefusedError && (e.context.status === 400 || e.context.status === 422);
}

export interface ApplyOutcome {
  set: Map<string, WriteBackEntry>;
  deleted: string[];
  /** `tag:<id>` / `attr:<type id>` → name, for every id written. */
  names: Map<string, string>;
  error: Error | undefined;
}

type Executed = OpResult | 'gone';

async function execute(writer: ThreatQWriter, indicatorId: number, op: WriteOp, names: Map<string, string>): Promise<Executed> {
  switch (op.kind) {
    case 'addTag': {
      const r = await writer.addTag(indicatorId, op.name);
      if (r === 'gone') return r;
      names.set(`tag:${r.id}`, r.name);
      return { tagId: r.id };
    }
    case 'removeTag':
      return (await writer.removeTag(indicatorId, op.tagId), undefined);
    case 'addAttribute': {
      // An attempt stopped after ThreatQ took the POST but before the record was written (SIGTERM,
      // a lost answer, a lost record) left the attribute there: adopt it rather than add a second.
      const prefix = `${op.target} since `;
      const found = await writer.findAttribute(indicatorId, op.name, (v) => v.startsWith(prefix) && !v.includes(', removed '));
      const r = found ?? (await writer.addAttribute(indicatorId, op.name, op.value));
      if (r === 'gone') return r;
      names.set(`attr:${r.attributeId}`, op.name);
      return { attributeId: r.id, typeId: r.attributeId };
    }
    case 'updateAttribute':
      return (await writer.updateAttribute(indicatorId, op.attributeId, op.value)) === 'gone' ? 'gone' : undefined;
    case 'removeAttribute':
      return (await writer.removeAttribute(indicatorId, op.attributeId), undefined);
    default: {
      const never: never = op;
      throw new Error(`unhandled write-back operation ${JSON.stringify(never)}`);
    }
  }
}

/** Count a successful operation (taking `removedTag` off again is not counted apart). */
function count(counts: WriteBackCounts, op: WriteOp): void {
  if (op.kind === 'addTag') counts[op.role === 'tag' ? 'tagged' : 'removedTagged']++;
  else if (op.kind === 'removeTag' && op.role === 'tag') counts.untagged++;
  else if (op.kind === 'addAttribute') counts.attributesAdded++;
  else if (op.kind === 'updateAttribute') counts.attributesUpdated++;
  else if (op.kind === 'removeAttribute') counts.attributesRemoved++;
}

/** One indicator's operations; its final entry (undefined: forget it). Throws with `partial` set. */
async function applyIndicator(writer: ThreatQWriter, w: IndicatorWork, names: Map<string, string>, counts: WriteBackCounts, partial: { entry: WriteBackEntry | undefined }): Promise<WriteBackEntry | undefined> {
  let entry = w.entry;
  partial.entry = entry;
  for (const op of w.ops) {
    const r = await execute(writer, Number(w.id), op, names);
    if (r === 'gone' && (op.kind === 'addTag' || op.kind === 'addAttribute')) {
      counts.gone++;
      return undefined;
    }
    if (r === 'gone' && op.kind === 'updateAttribute') entry = applyOp(entry, w.range, { kind: 'removeAttribute', target: op.target, attributeId: op.attributeId }, undefined);
    else {
      entry = applyOp(entry, w.range, op, r === 'gone' ? undefined : r);
      count(counts, op);
    }
    partial.entry = entry;
  }
  return entry;
}

/** Write the work of a batch; see the header for errors. */
export async function applyWork(writer: ThreatQWriter, work: readonly IndicatorWork[], counts: WriteBackCounts, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const out: ApplyOutcome = { set: new Map(), deleted: [], names: new Map(), error: undefined };
  const settle = (w: IndicatorWork, entry: WriteBackEntry | undefined) => {
    if (entry !== undefined) out.set.set(w.id, entry);
    else if (w.entry !== undefined) out.deleted.push(w.id);
  };
  let next = 0;
  const lane = async () => {
    while (out.error === undefined && next < work.length) {
      const w = work[next++];
      if (w === undefined || w.ops.length === 0) continue;
      const partial: { entry: WriteBackEntry | undefined } = { entry: w.entry };
      try {
        settle(w, await applyIndicator(writer, w, out.names, counts, partial));
      } catch (e) {
        if (partial.entry !== w.entry) settle(w, partial.entry);
        if (refusedForIndicator(e)) {
          counts.refused++;
          options.log?.warn('ThreatQ refused a write-back on one indicator; skipped', { indicatorId: w.id, status: e.context.status, code: e.code, request: e.context.request });
        } else out.error ??= e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? APPLY_CONCURRENCY) }, lane));
  return out;
}
