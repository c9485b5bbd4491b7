/**
 * Which source collections the configuration defines and which targets they feed: the (source,
 * collection) pairs of a source with their schedules (a file source has one collection: its path), and
 * every pair feeding a target (the fan-in of invariant "desired = union of the feeders' snapshots").
 * Read by the producer, the scheduler, the reconcile's desired set, the CLI and the demo.
 */
import type { Config, SourceConfig } from './schema.ts';

/** The (source, collection) pairs a source defines, with their schedules. A file source has one collection: its path. */
export function collectionsOf(source: SourceConfig): { id: string; targets: readonly string[]; schedule: SourceSchedule | undefined }[] {
  return source.kind === 'file'
    ? [{ id: source.path, targets: source.targets, schedule: source.schedule }]
    : source.collections.map((c) => ({ id: c.id, targets: c.targets, schedule: c.schedule }));
}

export type SourceSchedule = NonNullable<Extract<SourceConfig, { kind: 'file' }>['schedule']>;

/** Every source collection feeding a target. */
export function feedersOf(config: Config, target: string): { source: string; collection: string }[] {
  const out: { source: string; collection: string }[] = [];
  for (const s of config.sources) for (const c of collectionsOf(s)) if (c.targets.includes(target)) out.push({ source: s.name, collection: c.id });
  return out;
}
