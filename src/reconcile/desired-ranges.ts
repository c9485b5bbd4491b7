/**
 * The desired set of a target, as planReconcile wants it: canonical CIDRs (IPv4 ascending, then
 * IPv6), each with a priority weight and the sources that contributed it, never-block ranges removed.
 *
 * - buildDesiredFromSnapshots: fan-in. The union of the latest committed snapshot of every source
 *   collection feeding the target (a collection that never committed contributes nothing and is
 *   reported), merged by the range engine (mergeWeighted: a merged range takes the highest weight it
 *   covers). A range's sources are the collections with an entry inside it, labelled
 *   `<source>/<collection>` (a file source: `<source>`). Read as text into one numeric merge (no
 *   object per snapshot entry); ranges with the same sources share one `sources` array.
 * - subtractNeverBlock: `safety.neverBlock` removed; a range that partly overlaps keeps the rest of
 *   itself, with the weight and sources of the range it was cut from.
 * - subtractWhitelists: then ThreatQ's whitelist removed the same way: the union of the committed
 *   whitelists (state/snapshot-store.ts readWhitelist) of every collection of every ThreatQ source
 *   that feeds the target (through any of its collections) and has `neverBlockWhitelisted`, whichever
 *   source the range came from (a Whitelisted indicator of source A is never blocked by any target A
 *   feeds, even when source B, a file say, has it). A collection
 *   whose whitelist was never committed contributes nothing and is listed with `ranges` undefined.
 *   Reported: the ranges the union held and how many desired ranges it cut (wholly or in part).
 * Over capacity (`keepTop`), the ranges left out are counted before the subtractions: the overflow
 * a plan reports then also counts those of them the whitelist or neverBlock would have taken (the
 * placed set is exact: reconcile-target.ts widenedDesired keeps more when the subtractions cut too deep).
 * Both subtractions go through subtractAttributed: O((n + m) log m) for n desired and m removed ranges
 * (the range engine's subtractEach cuts each range on its own, so its pieces keep its data).
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Config } from '../config/schema.ts';
import { feedersOf } from '../config/collections.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import { readSnapshotMeta, readSnapshotText, readWhitelist } from '../state/snapshot-store.ts';
import { forEachRange } from '../state/snapshot-codec.ts';
import { GRAPH_MIN_PREFIX, WeightedMerge, detachedCidr, mergeCidrs, splitBroaderThan, subtractEach, type MergedWeighted } from '../ranges/index.ts';
import type { DesiredRange, TrimmedDesired } from './plan-types.ts';
import { releaseHeap } from '../observability/heap-release.ts';

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
  /** Ranges left out before the plan (only with `keepTop`, and only when there were more). */
  trimmed: TrimmedRanges | undefined;
}

function labelOf(config: Config, source: string, collection: string): string {
  const s = config.sources.find((x) => x.name === source);
  return s?.kind === 'file' ? source : `${source}/${collection}`;
}

/** The source labels of a block: one shared array per distinct label set (not one per range). */
function sourcesOf(m: MergedWeighted, labelNames: readonly string[]): (i: number) => readonly string[] {
  const cache = new Map<string, readonly string[]>();
  const W = m.labelWords;
  return (i) => {
    let key = '';
    for (let w = 0; w < W; w++) key += `${m.labels[i * W + w] ?? 0},`;
    let names = cache.get(key);
    if (!names) {
      const list: string[] = [];
      labelNames.forEach((name, l) => {
        if ((((m.labels[i * W + (l >>> 5)] ?? 0) >>> (l & 31)) & 1) === 1) list.push(name);
      });
      names = list;
      cache.set(key, names);
    }
    return names;
  };
}

/**
 * The committed snapshots feeding a target, metadata only (a pinned target's reconcile reports them so
 * that `sync --wait` sees its commit covered, though the pin decides what is blocked).
 */
export async function readSnapshotUses(redis: RedisClient, keys: StateKeys, config: Config, targetName: string): Promise<SnapshotUse[]> {
  const out: SnapshotUse[] = [];
  for (const { source, collection } of feedersOf(config, targetName)) {
    const meta = await readSnapshotMeta(redis, keys, source, collection);
    out.push({ source, collection, label: labelOf(config, source, collection), ranges: meta?.ranges, committedAt: meta?.committedAt, runId: meta?.runId });
  }
  return out;
}

type TrimmedRanges = TrimmedDesired;

const TRIM_EXAMPLES = 20;

/** The weight of the `k`th highest (k ≥ 1) of `weights` (NaN counts as -Infinity). */
function kthHighest(weights: Float64Array, k: number): number {
  // A loop, not Float64Array.from(weights, map): with a map function V8 first collects every value
  // as a heap number in a list (measured: +81 MB of heap for 1.9 million weights).
  const sorted = new Float64Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? -Infinity;
    sorted[i] = Number.isNaN(w) ? -Infinity : w;
  }
  sorted.sort();
  return sorted[sorted.length - k] ?? -Infinity;
}

/** Keep `e` among the TRIM_EXAMPLES highest weights in `top` (highest first). */
function keepExample(top: TrimmedRanges['examples'], e: { cidr: string; weight: number }): void {
  if (top.length === TRIM_EXAMPLES && (top[TRIM_EXAMPLES - 1]?.weight ?? -Infinity) >= e.weight) return;
  let at = top.length;
  while (at > 0 && (top[at - 1]?.weight ?? -Infinity) < e.weight) at -= 1;
  top.splice(at, 0, { cidr: detachedCidr(e.cidr), weight: e.weight });
  if (top.length > TRIM_EXAMPLES) top.pop();
}

/**
 * The merged blocks as DesiredRange objects; with `keepTop`, only those whose weight is at least the
 * keepTop-th highest (ties kept: the plan breaks them), the others counted in `trimmed`. A range kept
 * from a trimmed fan-in holds a copy of its CIDR line (detachedCidr): the top ranges are spread over
 * every batch of text, and as slices they kept all of it alive (5,000,000 indicators: 35 MB of RSS).
 */
function materialise(m: MergedWeighted, labelNames: readonly string[], keepTop: number | undefined): { desired: DesiredRange[]; trimmed: TrimmedRanges | undefined } {
  const sources = sourcesOf(m, labelNames);
  const cutoff = keepTop !== undefined && m.count > keepTop ? kthHighest(m.weights, Math.max(1, keepTop)) : -Infinity;
  const trimmed: TrimmedRanges | undefined = cutoff > -Infinity ? { total: 0, bySource: {}, examples: [] } : undefined;
  const desired: DesiredRange[] = [];
  let i = 0;
  for (const lines of m.cidrBatches()) {
    for (const cidr of lines) {
      const weight = m.weights[i] ?? -Infinity;
      if (!trimmed || weight >= cutoff) desired.push({ cidr: trimmed ? detachedCidr(cidr) : cidr, weight, sources: sources(i) });
      else {
        trimmed.total += 1;
        for (const label of sources(i)) trimmed.bySource[label] = (trimmed.bySource[label] ?? 0) + 1;
        keepExample(trimmed.examples, { cidr, weight });
      }
      i += 1;
    }
  }
  return { desired, trimmed };
}

/**
 * Fan-in without an object per input: each snapshot's text goes line by line into one numeric merge
 * (labelled by its collection's label); only the merged ranges become DesiredRange objects. With
 * `keepTop` (a target over capacity: its capacity), ranges below the keepTop-th highest weight are
 * only counted (`trimmed`): a feed many times the capacity never becomes that many objects.
 */
export async function buildDesiredFromSnapshots(redis: RedisClient, keys: StateKeys, config: Config, targetName: string, keepTop?: number): Promise<DesiredFromSnapshots> {
  const feeders = feedersOf(config, targetName);
  const labelNames = [...new Set(feeders.map(({ source, collection }) => labelOf(config, source, collection)))];
  const merge = new WeightedMerge(labelNames.length);
  const snapshots: SnapshotUse[] = [];
  for (const { source, collection } of feeders) {
    const snap = await readSnapshotText(redis, keys, source, collection);
    const label = labelOf(config, source, collection);
    const l = labelNames.indexOf(label);
    const ranges = snap ? forEachRange(snap.text, (cidr, weight) => merge.add(cidr, weight, l)) : undefined;
    snapshots.push({ source, collection, label, ranges, committedAt: snap?.meta.committedAt, runId: snap?.meta.runId });
  }
  const built = materialise(merge.result(), labelNames, keepTop);
  releaseHeap(); // the merge's columns (tens of MB of typed arrays over capacity) before the subtractions
  return { ...built, snapshots };
}

export interface Subtracted {
  desired: DesiredRange[];
  /** Desired ranges that lost addresses (wholly removed or cut into a remainder). */
  cut: number;
}

/** `desired` minus the union of `remove`: each remainder keeps the weight and sources of its range. */
export function subtractAttributed(desired: readonly DesiredRange[], remove: readonly string[]): Subtracted {
  if (remove.length === 0 || desired.length === 0) return { desired: [...desired], cut: 0 };
  const rests = subtractEach(
    desired.map((d) => d.cidr),
    remove,
  );
  const out: DesiredRange[] = [];
  let cut = 0;
  desired.forEach((d, i) => {
    const rest = rests[i];
    if (rest === undefined) {
      out.push(d);
      return;
    }
    cut += 1;
    for (const cidr of rest) out.push({ cidr, weight: d.weight, sources: d.sources });
  });
  return { desired: out, cut };
}

/** Remove `neverBlock` from desired; cut ranges keep the weight and sources they were cut from. */
export function subtractNeverBlock(desired: readonly DesiredRange[], neverBlock: readonly string[]): DesiredRange[] {
  return subtractAttributed(desired, neverBlock).desired;
}

/** What ThreatQ's whitelist did to a target's desired set (ReconcileResult, the reconcile run record). */
export interface WhitelistUse {
  /** Ranges of the union of the whitelists applied (merged canonical CIDRs). */
  ranges: number;
  /** Desired ranges (after safety.neverBlock) the whitelist removed wholly or in part. */
  cut: number;
  /** The whitelists read: one per collection of each ThreatQ source feeding the target with neverBlockWhitelisted. */
  collections: { label: string; ranges: number | undefined }[];
}

/** The union of the committed whitelists that apply to a target, and where they came from. */
async function readTargetWhitelist(redis: RedisClient, keys: StateKeys, config: Config, targetName: string): Promise<{ cidrs: string[]; collections: WhitelistUse['collections'] }> {
  const collections: WhitelistUse['collections'] = [];
  const all: string[] = [];
  const feeding = new Set(feedersOf(config, targetName).map((f) => f.source));
  for (const s of config.sources) {
    if (!feeding.has(s.name) || s.kind !== 'threatq' || !s.neverBlockWhitelisted) continue;
    for (const { id: collection } of s.collections) {
      const list = await readWhitelist(redis, keys, s.name, collection);
      collections.push({ label: labelOf(config, s.name, collection), ranges: list?.length });
      if (list) for (const c of list) all.push(c);
    }
  }
  return { cidrs: all.length === 0 ? [] : mergeCidrs(all), collections };
}

/**
 * `desired` minus the ThreatQ whitelists that apply to the target (see the header); `cidrs` is the
 * union applied, which the removal grace never holds either (it goes at once, like neverBlock).
 */
export async function subtractWhitelists(
  redis: RedisClient,
  keys: StateKeys,
  config: Config,
  targetName: string,
  desired: readonly DesiredRange[],
): Promise<{ desired: DesiredRange[]; whitelist: WhitelistUse; cidrs: string[] }> {
  const { cidrs, collections } = await readTargetWhitelist(redis, keys, config, targetName);
  const { desired: kept, cut } = subtractAttributed(desired, cidrs);
  return { desired: kept, whitelist: { ranges: cidrs.length, cut, collections }, cidrs };
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
    // Desired CIDRs are canonical (`a/p`): most are at or under the floor and need no parsing.
    const slash = d.cidr.lastIndexOf('/');
    if (slash > 0 && Number(d.cidr.slice(slash + 1)) >= (d.cidr.includes(':') ? v6 : v4)) {
      out.push(d);
      continue;
    }
    const pieces = splitBroaderThan([d.cidr], v4, v6);
    if (pieces.length === 1 && pieces[0] === d.cidr) out.push(d);
    else for (const cidr of pieces) out.push({ cidr, weight: d.weight, sources: d.sources });
  }
  return out;
}
