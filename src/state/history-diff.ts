/**
 * Pure: the shape of a target's history entry and the arithmetic on it. An entry records what one
 * writing reconcile changed (per named location the ranges added and removed, the policy fields
 * changed), the run, the committed snapshot runs that fed it, the range count after it and a content
 * hash of the result (sha256 of the sorted union of the ranges the target's locations held after it).
 * Entries are diffs; the only copy kept is the head (each location's content after the newest entry).
 *
 * reconstructAt: the content a run left = the head with every newer entry undone, newest first
 * (per location: minus what it added, plus what it removed). `contentHash` of the result equals the
 * entry's hash unless Entra was changed outside the service between runs (the caller reports that).
 */
import { createHash } from 'node:crypto';
import { sortCidrs } from '../ranges/index.ts';

export type HistoryKind = 'reconcile' | 'rollback';

export interface HistoryLocationChange {
  /** Display name of the named location. */
  name: string;
  added: string[];
  /** Aligned with `added`: indexes into the entry's `sources` of the sources that held the range at that run. */
  addedFrom: number[][];
  removed: string[];
  /** The location was deleted by this run (emptied). */
  deleted?: boolean;
}

export interface HistorySource {
  /** `<source>/<collection>` (a file source: `<source>`). */
  label: string;
  /** Run id of the committed snapshot read; undefined when the collection had none. */
  runId: string | undefined;
}

export interface HistoryEntry {
  run: string;
  /** ISO 8601 time the run was recorded. */
  at: string;
  kind: HistoryKind;
  /** Committed snapshots of the sources feeding the target at the run (for a pinned run or a rollback: listed, but the pin decided; empty with an override). */
  sources: HistorySource[];
  /** The run this target was pinned to when it ran (rollback, or a reconcile of a pinned target). */
  pinnedTo?: string;
  locations: HistoryLocationChange[];
  policy: { action: string; fields: string[] };
  /** Ranges in the target's locations after the run. */
  total: number;
  /** sha256 (hex) of the sorted union of those ranges. */
  hash: string;
}

/** Location display name → its ranges (canonical CIDRs). */
export type LocationContents = Map<string, string[]>;

/** Every range of the contents, sorted and de-duplicated. */
export function unionOf(contents: LocationContents): string[] {
  const all = new Set<string>();
  for (const ranges of contents.values()) for (const r of ranges) all.add(r);
  return sortCidrs([...all]);
}

/** Ranges per update of the content hash. */
const HASH_BATCH = 4096;

/** sha256 (hex) of the ranges joined by newlines, hashed a batch at a time (never one joined copy of a full target). */
export function contentHash(sortedUnion: readonly string[]): string {
  const hash = createHash('sha256');
  for (let i = 0; i < sortedUnion.length; i += HASH_BATCH) {
    const part = sortedUnion.slice(i, i + HASH_BATCH).join('\n');
    hash.update(i === 0 ? part : `\n${part}`);
  }
  return hash.digest('hex');
}

/** Undo one entry on `contents` (in place). */
function undo(contents: LocationContents, entry: HistoryEntry): void {
  for (const change of entry.locations) {
    const set = new Set(contents.get(change.name) ?? []);
    for (const r of change.added) set.delete(r);
    for (const r of change.removed) set.add(r);
    if (set.size === 0) contents.delete(change.name);
    else contents.set(change.name, [...set]);
  }
}

/**
 * The contents after the entry `newer.length` back: `head` with `newer` (newest first: every entry
 * recorded after the run wanted) undone. `head` is not modified.
 */
export function reconstructAt(head: LocationContents, newer: readonly HistoryEntry[]): LocationContents {
  const contents: LocationContents = new Map([...head].map(([k, v]) => [k, [...v]]));
  for (const entry of newer) undo(contents, entry);
  return contents;
}

/** Apply one entry forward (the inverse of undo; tests and the property check use it). */
export function applyEntry(contents: LocationContents, entry: HistoryEntry): LocationContents {
  const out: LocationContents = new Map([...contents].map(([k, v]) => [k, [...v]]));
  for (const change of entry.locations) {
    const set = new Set(out.get(change.name) ?? []);
    for (const r of change.removed) set.delete(r);
    for (const r of change.added) set.add(r);
    if (set.size === 0) out.delete(change.name);
    else out.set(change.name, [...set]);
  }
  return out;
}
