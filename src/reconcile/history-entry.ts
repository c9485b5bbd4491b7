/**
 * Pure: the history entry of one applied plan (src/state/history-diff.ts has the shape) and the
 * target's content after it (the new head). Each location's content after the run = its live ranges
 * (none for a location the plan creates) minus what the plan removed plus what it added; a deleted
 * location holds nothing. Every added range names the sources (indexes into `sources`) whose committed
 * snapshot held it at that run (DesiredRange.sources).
 *
 * Two steps, so that the desired set need not live through the apply: `historySourcesOf` (before
 * apply) keeps of the desired set only what the entry needs, each added range's source indexes (one
 * shared index array per distinct source set, no object or array per range); `buildHistoryEntry`
 * (after apply) makes the entry and the head from it, the plan and the live state, sharing the plan's
 * range arrays where a location had nothing live.
 */
import { contentHash, unionOf, type HistoryEntry, type HistoryKind, type HistorySource, type LocationContents } from '../state/history-diff.ts';
import type { SnapshotUse } from './desired-ranges.ts';
import type { DesiredRange, LiveState, Plan } from './plan-types.ts';

/** What the entry keeps of the desired set: the sources, and per location (display name) each added range's source indexes. */
export interface HistorySources {
  sources: HistorySource[];
  addedFrom: Map<string, (readonly number[])[]>;
}

export interface HistoryEntryInput {
  run: string;
  kind: HistoryKind;
  at: string;
  plan: Plan;
  live: LiveState;
  from: HistorySources;
  pinnedTo: string | undefined;
}

const NONE: readonly number[] = [];

/** Before apply: the source indexes of every range the plan adds (the desired set can be dropped after this). */
export function historySourcesOf(plan: Plan, desired: readonly DesiredRange[], snapshots: readonly SnapshotUse[]): HistorySources {
  const sources: HistorySource[] = snapshots.map((s) => ({ label: s.label, runId: s.runId }));
  const index = new Map(sources.map((s, i) => [s.label, i]));
  // The fan-in shares one `sources` array per distinct label set: one index array for each.
  const shared = new Map<readonly string[], readonly number[]>();
  const indexesOf = (labels: readonly string[]): readonly number[] => {
    let got = shared.get(labels);
    if (!got) {
      got = labels.flatMap((l) => (index.has(l) ? [index.get(l) as number] : []));
      shared.set(labels, got.length === 0 ? NONE : got);
    }
    return got;
  };
  const fromOf = new Map<string, readonly number[]>();
  for (const d of desired) fromOf.set(d.cidr, indexesOf(d.sources));
  const addedFrom = new Map<string, (readonly number[])[]>();
  for (const l of plan.locations) if (l.added.length > 0) addedFrom.set(l.displayName, l.added.map((r) => fromOf.get(r) ?? NONE));
  return { sources, addedFrom };
}

function contentsAfter(plan: Plan, live: LiveState): LocationContents {
  const liveById = new Map(live.locations.map((l) => [l.id, l.ranges]));
  const contents: LocationContents = new Map();
  for (const l of plan.locations) {
    if (l.action === 'delete') continue;
    const before = l.id === undefined ? undefined : liveById.get(l.id);
    if (!before || before.length === 0) {
      contents.set(l.displayName, l.added); // nothing live: its content is what it adds (distinct, plan-types.ts)
      continue;
    }
    const set = new Set(before);
    for (const r of l.removed) set.delete(r);
    for (const r of l.added) set.add(r);
    contents.set(l.displayName, [...set]);
  }
  return contents;
}

export function buildHistoryEntry(input: HistoryEntryInput): { entry: HistoryEntry; head: LocationContents } {
  const { plan, from } = input;
  const locations = plan.locations
    .filter((l) => l.added.length > 0 || l.removed.length > 0 || l.action === 'delete')
    .map((l) => ({
      name: l.displayName,
      added: l.added,
      addedFrom: (from.addedFrom.get(l.displayName) ?? l.added.map(() => NONE)) as number[][],
      removed: l.removed,
      ...(l.action === 'delete' ? { deleted: true } : {}),
    }));
  const head = contentsAfter(plan, input.live);
  const union = unionOf(head);
  const entry: HistoryEntry = {
    run: input.run,
    at: input.at,
    kind: input.kind,
    sources: from.sources,
    ...(input.pinnedTo === undefined ? {} : { pinnedTo: input.pinnedTo }),
    locations,
    policy: { action: plan.policy.action, fields: plan.policy.changes.map((c) => c.field) },
    total: union.length,
    hash: contentHash(union),
  };
  return { entry, head };
}
