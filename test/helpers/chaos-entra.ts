/**
 * Chaos checks on the Graph emulator's end state: a normalised, comparable picture of a target's
 * named locations and policy (ids and timestamps dropped, the policy's location ids replaced by the
 * locations' names, ranges sorted), and the duplicates check (no location name, no policy name twice).
 */
import type { GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { compareCidrs } from '../../src/ranges/index.ts';

export interface EntraLocation {
  displayName: string;
  isTrusted: boolean;
  ranges: string[];
}

export interface EntraPicture {
  locations: EntraLocation[];
  policies: unknown[];
}

interface RawLocation {
  id: string;
  displayName: string;
  isTrusted?: boolean;
  ipRanges: { cidrAddress: string }[];
}

const VOLATILE = new Set(['id', 'createdDateTime', 'modifiedDateTime', '@odata.context', '@odata.etag']);

function mapIds(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'string') return names.get(value.toLowerCase()) ?? value;
  if (Array.isArray(value)) return value.map((v) => mapIds(v, names)).sort((a, b) => String(a).localeCompare(String(b)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) {
      if (!VOLATILE.has(k)) out[k] = mapIds(v, names);
    }
    return out;
  }
  return value;
}

export function entraPicture(graph: GraphEmulator): EntraPicture {
  const state = graph.state();
  const raw = state.namedLocations as unknown as RawLocation[];
  const names = new Map(raw.map((l) => [l.id.toLowerCase(), `location:${l.displayName}`]));
  const locations = raw
    .map((l) => ({ displayName: l.displayName, isTrusted: l.isTrusted === true, ranges: l.ipRanges.map((r) => r.cidrAddress).sort(compareCidrs) }))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  const policies = state.policies
    .map((p) => mapIds(p, names))
    .sort((a, b) => String((a as { displayName?: unknown }).displayName).localeCompare(String((b as { displayName?: unknown }).displayName)));
  return { locations, policies };
}

/** Names that occur more than once among the named locations and among the policies. */
export function duplicateNames(graph: GraphEmulator): { locations: string[]; policies: string[] } {
  const state = graph.state();
  const dupes = (names: string[]) => [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  return {
    locations: dupes(state.namedLocations.map((l) => String(l['displayName']))),
    policies: dupes(state.policies.map((p) => String(p['displayName']))),
  };
}
