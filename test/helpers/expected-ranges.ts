/**
 * What a target should hold, computed from the emulators' ground truth (not from anything the
 * pipeline stored): qualifying indicators (type and status filter) parsed and merged, minus ThreatQ's
 * whitelist (the whitelist-status IP indicators of the collections feeding the target: the sources'
 * default `neverBlockWhitelisted: true`), read as the service reads a whitelist (no floors but /8,
 * reserved space allowed), then cut back to the floors as reconcile does.
 */
import { DEFAULT_RANGE_OPTIONS, GRAPH_MIN_PREFIX, mergeCidrs, parseIndicator, splitBroaderThan, subtractCidrs } from '../../src/ranges/index.ts';
import type { ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import type { GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';

const IP_TYPES = new Set(['IP Address', 'IPv6 Address', 'CIDR Block']);
/** The configuration's defaults (safety.minPrefixV4/V6, allowReserved), as the targets under test use them. */
const OPTIONS = DEFAULT_RANGE_OPTIONS;
/** How a whitelist entry is read: only the Graph floor, reserved space allowed. */
const WHITELIST_OPTIONS = { minPrefixV4: GRAPH_MIN_PREFIX, minPrefixV6: GRAPH_MIN_PREFIX, allowReserved: true };

export function qualifyingValues(emu: ThreatQEmulator, collection: string, statuses: readonly string[] = ['Active']): string[] {
  const out: string[] = [];
  for (const r of emu.indicators(collection)) if (IP_TYPES.has(r.type.name) && statuses.includes(r.status.name)) out.push(r.value);
  return out;
}

/** ThreatQ's whitelist of a collection: the values of its IP indicators of a whitelist status. */
export function whitelistValues(emu: ThreatQEmulator, collection: string, statuses: readonly string[] = ['Whitelisted']): string[] {
  return qualifyingValues(emu, collection, statuses);
}

function parsed(values: Iterable<string>, options: typeof OPTIONS): string[] {
  const cidrs: string[] = [];
  for (const v of values) {
    const r = parseIndicator(v, undefined, options);
    if (r.ok) cidrs.push(...r.cidrs);
  }
  return cidrs;
}

/** `whitelist`: values never to block (whitelistValues of every collection feeding the target). */
export function expectedRanges(values: Iterable<string>, options: { whitelist?: Iterable<string> } = {}): string[] {
  const merged = mergeCidrs(parsed(values, OPTIONS));
  const whitelist = parsed(options.whitelist ?? [], WHITELIST_OPTIONS);
  const allowed = whitelist.length === 0 ? merged : subtractCidrs(merged, whitelist);
  // Merged blocks broader than the floor are cut back to it, as reconcile does.
  return splitBroaderThan(allowed, OPTIONS.minPrefixV4, OPTIONS.minPrefixV6);
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
