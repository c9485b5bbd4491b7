/**
 * The re-sync checks of bench:e2e (issue 9: "a re-sync where 1% of indicators changed rewrites only
 * the locations that hold them").
 *
 * pickChanges: which indicators to change. Deterministic: the generator is a pure function of
 * (seed, row), so the bench knows which rows are public `IP Address` and `IPv6 Address` indicators
 * with status Active (the ones that reach Entra) without asking the emulator, and spreads the changes
 * evenly over the collection. Each gets a new value the generator never uses (IPv4 in 5.0.0.0/8, four
 * addresses apart so no two new /32s merge; IPv6 a /128 in 2a0b:0::/32, one per /64): each changed
 * indicator adds exactly one range and removes at most one (an IPv4 /32 that a CIDR Block of the
 * collection covers removes nothing; the generator's IPv6 addresses are each their own range).
 *
 * pickAddition: one indicator to turn into exactly one new range (issue 15: "one added range"): the
 * first generated FQDN, which the source filters out, becomes an Active `IP Address` 5.255.255.1, an
 * address neither distribution nor pickChanges uses, and adjacent to nothing.
 *
 * compareLocations: from the named locations before and after the run and the names of the locations
 * the run wrote (POST/PATCH/DELETE in the Graph emulator's request log):
 *   touched = locations that held a range that went  ∪  locations that hold a range that came
 *   moved   = ranges present before and after that changed location (stable assignment says 0)
 * The claim holds when written == touched (nothing else written, nothing touched left unwritten) and
 * moved == 0.
 */
import { generateIndicator } from '../../src/emulators/threatq/indicator-generator.ts';
import type { GeneratorDistribution } from '../../src/emulators/threatq/emulator-seed.ts';
import type { GraphLogEntry, GraphNamedLocation } from './emulator-processes.ts';

/** Row i of a generated collection has id firstId + i (emulator-seed.ts: 100,000 + idOffset × 1000). */
export const GENERATED_FIRST_ID = 100_000 + 40 * 1000;

export function pickChanges(generatorSeed: number, count: number, fraction: number, distribution: GeneratorDistribution): { id: number; old: string; value: string }[] {
  const want = Math.max(1, Math.round(count * fraction));
  const stride = Math.max(1, Math.floor(count / want));
  const out: { id: number; old: string; value: string }[] = [];
  for (let start = 0; start < stride && out.length < want; start += 1) {
    for (let i = start; i < count && out.length < want; i += stride) {
      const g = generateIndicator(generatorSeed, i, distribution);
      if (g.status !== 'Active') continue;
      const a = out.length * 4 + 1;
      let value: string;
      if (g.type === 'IP Address' && /^\d+\.\d+\.\d+\.\d+$/.test(g.value)) value = `5.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      else if (g.type === 'IPv6 Address' && g.value.startsWith('2a02:')) value = `2a0b:0:${(a >>> 16).toString(16)}:${(a & 0xffff).toString(16)}::1`;
      else continue;
      out.push({ id: GENERATED_FIRST_ID + i, old: g.value, value });
    }
  }
  return out;
}

export const ADDED_RANGE_VALUE = '5.255.255.1';

export function pickAddition(generatorSeed: number, count: number, distribution: GeneratorDistribution): { id: number; type: string; status: string; value: string } {
  for (let i = 0; i < count; i += 1) {
    if (generateIndicator(generatorSeed, i, distribution).type === 'FQDN') return { id: GENERATED_FIRST_ID + i, type: 'IP Address', status: 'Active', value: ADDED_RANGE_VALUE };
  }
  throw new Error(`no FQDN among the ${count} generated indicators to turn into one added range`);
}

export function rangeHomes(locations: readonly GraphNamedLocation[]): Map<string, string> {
  const home = new Map<string, string>();
  for (const l of locations) for (const r of l.ipRanges ?? []) home.set(r.cidrAddress, l.displayName);
  return home;
}

export interface LocationComparison {
  rangesAdded: number;
  rangesRemoved: number;
  moved: number;
  touched: Set<string>;
  written: Set<string>;
  /** Written but holding no changed range. */
  writtenNeedlessly: string[];
  /** Holding a changed range but not written (would mean the emulator state and log disagree). */
  touchedNotWritten: string[];
  holds: boolean;
}

export function compareLocations(before: readonly GraphNamedLocation[], after: readonly GraphNamedLocation[], written: Set<string>): LocationComparison {
  const was = rangeHomes(before);
  const now = rangeHomes(after);
  const touched = new Set<string>();
  let rangesAdded = 0;
  let rangesRemoved = 0;
  let moved = 0;
  for (const [r, loc] of was) {
    const n = now.get(r);
    if (n === undefined) {
      rangesRemoved += 1;
      touched.add(loc);
    } else if (n !== loc) {
      moved += 1;
      touched.add(loc).add(n);
    }
  }
  for (const [r, loc] of now) {
    if (!was.has(r)) {
      rangesAdded += 1;
      touched.add(loc);
    }
  }
  const writtenNeedlessly = [...written].filter((n) => !touched.has(n)).sort();
  const touchedNotWritten = [...touched].filter((n) => !written.has(n)).sort();
  return { rangesAdded, rangesRemoved, moved, touched, written, writtenNeedlessly, touchedNotWritten, holds: moved === 0 && writtenNeedlessly.length === 0 && touchedNotWritten.length === 0 };
}

/** Names of the named locations a request log wrote, resolving ids through the states before and after. */
export function writtenLocations(log: readonly GraphLogEntry[], before: readonly GraphNamedLocation[], after: readonly GraphNamedLocation[]): Set<string> {
  const byId = new Map<string, string>();
  for (const l of [...before, ...after]) byId.set(l.id, l.displayName);
  const out = new Set<string>();
  for (const r of log) {
    if (r.method === 'GET' || r.status >= 400 || !r.path.includes('/namedLocations')) continue;
    if (r.method === 'POST' && r.displayName !== undefined) out.add(r.displayName);
    const m = /\/namedLocations\/([^/?]+)/.exec(r.path);
    if (m?.[1]) out.add(byId.get(decodeURIComponent(m[1])) ?? `id ${m[1]}`);
  }
  return out;
}
