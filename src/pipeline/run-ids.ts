/**
 * Run ids, staging ids and custom job ids: the one module that builds them and the one that takes
 * them apart. Every id is made from parts the service controls (a kind, a UTC timestamp, random hex,
 * small integers), never from another job's id, a source name, a collection id or a file path, so it
 * never holds `:` (BullMQ refuses custom job ids with `:` unless they split into exactly three parts;
 * a scheduled job's own id is `repeat:<scheduler id>:<millis>`), `/`, whitespace or anything a Redis key
 * or a log line would have to escape.
 *
 *   collect run      collect-20261130T001500Z-3fa9c2d1      made once per collect job, kept in its data
 *   staging id       <collect run>~<attempt>                 one per attempt of the collect step
 *   ingest job id    <staging id>-<chunk>                    the chunk children of one attempt
 *   reconcile run    reconcile-20261130T001500Z-7b01e6aa     made once per reconcile job, kept in its data
 *
 * Only the characters [A-Za-z0-9~-] appear. `parseRunId` is the inverse of the builders.
 */
import { randomBytes } from 'node:crypto';

import type { RunKind } from '../observability/metrics-store.ts';

export type { RunKind };

const RUN_ID = /^(collect|reconcile)-(\d{8}T\d{6}Z)-([0-9a-f]{8})$/;
const STAGE_ID = /^(collect-\d{8}T\d{6}Z-[0-9a-f]{8})~([1-9]\d*)$/;

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** A new run id of `kind`, unique (32 random bits per second) and sortable by start time. */
export function newRunId(kind: RunKind, now: number = Date.now()): string {
  return `${kind}-${stamp(now)}-${randomBytes(4).toString('hex')}`;
}

export interface ParsedRunId {
  kind: RunKind;
  /** When the run was first picked up (epoch ms, to the second). */
  startedMs: number;
}

/** The parts of a run id, or undefined when `id` is not one (e.g. a record from an older version). */
export function parseRunId(id: string): ParsedRunId | undefined {
  const m = RUN_ID.exec(id);
  if (!m) return undefined;
  const s = m[2] ?? '';
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
  return { kind: m[1] as RunKind, startedMs: Date.parse(iso) };
}

/** The id the chunks of one attempt of a collect run are staged under. */
export function stageId(runId: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  return `${runId}~${attempt}`;
}

export function parseStageId(id: string): { runId: string; attempt: number } | undefined {
  const m = STAGE_ID.exec(id);
  return m ? { runId: m[1] ?? '', attempt: Number(m[2]) } : undefined;
}

/** The custom BullMQ job id of one ingest chunk (unique per run, attempt and chunk). */
export function ingestJobId(stage: string, chunk: number): string {
  return `${stage}-${chunk}`;
}

/** True when `id` is safe as a custom BullMQ job id and a Redis key part without escaping. */
export function isSafeId(id: string): boolean {
  return /^[A-Za-z0-9~-]+$/.test(id);
}
