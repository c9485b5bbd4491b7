/**
 * Pure: the history entry of one applied plan (src/state/history-diff.ts has the shape) and the
 * target's content after it (the new head). Each location's content after the run = its live ranges
 * (none for a location the plan creates) minus what the plan removed plus what it added; a deleted
 * location holds nothing. Every added range names the sources (indexes into `sources`) whose committed
 * snapshot held it at that run (DesiredRange.sources).
 */
import { contentHash, unionOf, type HistoryEntry, type HistoryKind, type HistorySource, type LocationContents } from '../state/history-diff.ts';
import type { SnapshotUse } from './desired-ranges.ts';
import type { DesiredRange, LiveState, Plan } from './plan-types.ts';

export interface HistoryEntryInput {
  run: string;
  kind: HistoryKind;
  at: string;
  plan: Plan;
  live: LiveState;
  desired: readonly DesiredRange[];
  snapshots: readonly SnapshotUse[];
  pinnedTo: string | undefined;
}

function contentsAfter(plan: Plan, live: LiveState): LocationContents {
  const liveById = new Map(live.locations.map((l) => [l.id, l.ranges]));
  const contents: LocationContents = new Map();
  for (const l of plan.locations) {
    if (l.action === 'delete') continue;
    const set = new Set(l.id === undefined ? [] : (liveById.get(l.id) ?? []));
    for (const r of l.removed) set.delete(r);
    for (const r of l.added) set.add(r);
    contents.set(l.displayName, [...set]);
  }
  return contents;
}

export function buildHistoryEntry(input: HistoryEntryInput): { entry: HistoryEntry; head: LocationContents } {
  const { plan } = input;
  const sources: HistorySource[] = input.snapshots.map((s) => ({ label: s.label, runId: s.runId }));
  const index = new Map(sources.map((s, i) => [s.label, i]));
  const fromOf = new Map(input.desired.map((d) => [d.cidr, d.sources.flatMap((l) => (index.has(l) ? [index.get(l) as number] : []))]));
  const locations = plan.locations
    .filter((l) => l.added.length > 0 || l.removed.length > 0 || l.action === 'delete')
    .map((l) => ({
      name: l.displayName,
      added: l.added,
      addedFrom: l.added.map((r) => fromOf.get(r) ?? []),
      removed: l.removed,
      ...(l.action === 'delete' ? { deleted: true } : {}),
    }));
  const head = contentsAfter(plan, input.live);
  const union = unionOf(head);
  const entry: HistoryEntry = {
    run: input.run,
    at: input.at,
    kind: input.kind,
    sources,
    ...(input.pinnedTo === undefined ? {} : { pinnedTo: input.pinnedTo }),
    locations,
    policy: { action: plan.policy.action, fields: plan.policy.changes.map((c) => c.field) },
    total: union.length,
    hash: contentHash(union),
  };
  return { entry, head };
}
