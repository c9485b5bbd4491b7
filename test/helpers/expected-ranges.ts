/**
 * What a target should hold, computed from the emulators' ground truth (not from anything the
 * pipeline stored): qualifying indicators (type and status filter) parsed and merged.
 */
import { DEFAULT_RANGE_OPTIONS, mergeCidrs, parseIndicator, splitBroaderThan } from '../../src/ranges/index.ts';
import type { ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import type { GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';

const IP_TYPES = new Set(['IP Address', 'IPv6 Address', 'CIDR Block']);
/** The configuration's defaults (safety.minPrefixV4/V6, allowReserved), as the targets under test use them. */
const OPTIONS = DEFAULT_RANGE_OPTIONS;

export function qualifyingValues(emu: ThreatQEmulator, collection: string, statuses: readonly string[] = ['Active']): string[] {
  const out: string[] = [];
  for (const r of emu.indicators(collection)) if (IP_TYPES.has(r.type.name) && statuses.includes(r.status.name)) out.push(r.value);
  return out;
}

export function expectedRanges(values: Iterable<string>, neverBlock: readonly string[] = []): string[] {
  const cidrs: string[] = [];
  for (const v of values) {
    const r = parseIndicator(v, undefined, OPTIONS);
    if (r.ok) cidrs.push(...r.cidrs);
  }
  // Merged blocks broader than the floor are cut back to it, as reconcile does.
  const merged = splitBroaderThan(mergeCidrs(cidrs), OPTIONS.minPrefixV4, OPTIONS.minPrefixV6);
  if (neverBlock.length === 0) return merged;
  const block = new Set(neverBlock);
  return merged.filter((c) => !block.has(c));
}

/** Every range in the tenant's named locations whose name starts with `prefix`, canonical and sorted. */
export function rangesInEntra(graph: GraphEmulator, prefix: string): { locations: { displayName: string; ranges: string[] }[]; all: string[] } {
  const state = graph.state();
  const locations = state.namedLocations
    .map((l) => l as { displayName: string; ipRanges: { cidrAddress: string }[] })
    .filter((l) => l.displayName === prefix || l.displayName.startsWith(`${prefix} (`))
    .map((l) => ({ displayName: l.displayName, ranges: l.ipRanges.map((r) => r.cidrAddress) }));
  return { locations, all: mergeCidrs(locations.flatMap((l) => l.ranges)) };
}
