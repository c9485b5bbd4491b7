/**
 * The desired set of a target, as planReconcile wants it: canonical CIDRs (IPv4 ascending, then
 * IPv6), each with a priority weight and the sources that contributed it, never-block ranges removed.
 *
 * - buildDesiredFromSnapshots: fan-in. The union of the latest committed snapshot of every source
 *   collection feeding the target (a collection that never committed contributes nothing and is
 *   reported), merged by the range engine (mergeWeighted: a merged range takes the highest weight it
 *   covers). A range's sources are the collections with an entry inside it, labelled
 *   `<source>/<collection>` (a file source: `<source>`).
 * - subtractNeverBlock: `safety.neverBlock` removed; a range that partly overlaps keeps the rest of
 *   itself, with the weight and sources of the range it was cut from.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import { feedersOf } from '../config/collections.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import { readSnapshot } from '../state/snapshot-store.ts';
import { GRAPH_MIN_PREFIX, mergeWeighted, splitBroaderThan, subtractCidrs } from '../ranges/index.ts';
import type { DesiredRange } from './plan-types.ts';

export interface SnapshotUse {
  source: string;
  collection: string;
  label: string;
  /** Ranges in the committed snapshot; undefined when the collection has no committed snapshot yet. */
  ranges: number | undefined;
  committedAt: string | undefined;
  runId: string | undefined;
}

export interface DesiredFromSnapshots {
  desired: DesiredRange[];
  snapshots: SnapshotUse[];
}

function labelOf(config: Config, source: string, collection: string): string {
  const s = config.sources.find((x) => x.name === source);
  return s?.kind === 'file' ? source : `${source}/${collection}`;
}

/** Attach to each merged range the labels of the inputs it covers (one mergeWeighted pass per label). */
function attributeSources(merged: readonly { cidr: string; weight: number }[], byLabel: Map<string, string[]>): string[][] {
  const sources: string[][] = merged.map(() => []);
  if (byLabel.size === 1) {
    const [label] = byLabel.keys();
    return merged.map(() => [label as string]);
  }
  for (const [label, cidrs] of byLabel) {
    const marks = mergeWeighted(
      (function* () {
        for (const m of merged) yield { cidr: m.cidr, weight: 0 };
        for (const c of cidrs) yield { cidr: c, weight: 1 };
      })(),
    );
    // Same union, so the same blocks in the same order as `merged`.
    for (let i = 0; i < marks.length; i += 1) if (marks[i]?.weight === 1) sources[i]?.push(label);
  }
  return sources;
}

export async function buildDesiredFromSnapshots(redis: Redis, keys: StateKeys, config: Config, targetName: string): Promise<DesiredFromSnapshots> {
  const snapshots: SnapshotUse[] = [];
  const all: { cidr: string; weight: number }[] = [];
  const byLabel = new Map<string, string[]>();
  for (const { source, collection } of feedersOf(config, targetName)) {
    const snap = await readSnapshot(redis, keys, source, collection);
    const label = labelOf(config, source, collection);
    snapshots.push({ source, collection, label, ranges: snap?.entries.length, committedAt: snap?.meta.committedAt, runId: snap?.meta.runId });
    if (!snap) continue;
    const list = byLabel.get(label) ?? [];
    for (const e of snap.entries) {
      all.push(e);
      list.push(e.cidr);
    }
    byLabel.set(label, list);
  }
  const merged = mergeWeighted(all);
  const sources = attributeSources(merged, byLabel);
  return { desired: merged.map((m, i) => ({ cidr: m.cidr, weight: m.weight, sources: sources[i] ?? [] })), snapshots };
}

/** Remove `neverBlock` from desired; cut ranges keep the weight and sources they were cut from. */
export function subtractNeverBlock(desired: readonly DesiredRange[], neverBlock: readonly string[]): DesiredRange[] {
  if (neverBlock.length === 0 || desired.length === 0) return [...desired];
  const byCidr = new Map(desired.map((d) => [d.cidr, d]));
  const pieces = subtractCidrs([...byCidr.keys()], neverBlock);
  const pieceSet = new Set(pieces);
  const cut = desired.filter((d) => !pieceSet.has(d.cidr));
  return pieces.map((p) => {
    const whole = byCidr.get(p);
    if (whole) return whole;
    // A fragment of a range that overlapped neverBlock: find the range it came from (few of these).
    const parent = cut.find((c) => subtractCidrs([p], [c.cidr]).length === 0);
    return { cidr: p, weight: parent?.weight ?? 0, sources: parent?.sources ?? [] };
  });
}


/**
 * Merging is exact, so adjacent ranges can merge into a block broader than the floor (two /8s make a
 * /7, which Entra refuses; two /16s under `minPrefixV4: 16` make a /15). Cut such blocks back into
 * floor-sized pieces, each keeping the weight and sources of the block.
 */
export function splitDesiredBroaderThan(desired: readonly DesiredRange[], minPrefixV4: number, minPrefixV6: number): DesiredRange[] {
  const v4 = Math.max(GRAPH_MIN_PREFIX, minPrefixV4);
  const v6 = Math.max(GRAPH_MIN_PREFIX, minPrefixV6);
  const out: DesiredRange[] = [];
  for (const d of desired) {
    const pieces = splitBroaderThan([d.cidr], v4, v6);
    if (pieces.length === 1 && pieces[0] === d.cidr) out.push(d);
    else for (const cidr of pieces) out.push({ cidr, weight: d.weight, sources: d.sources });
  }
  return out;
}
