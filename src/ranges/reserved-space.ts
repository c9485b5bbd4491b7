/**
 * Reserved-space classification of a numeric CIDR against every entry of special-purpose-ranges.ts
 * (see its header for the policy).
 *
 * Fast path: a table per first octet (IPv4) or first 16-bit group (IPv6) says "all public", "all
 * reserved" or "look closer"; only the last case checks the entries, and only a CIDR that partly
 * overlaps reserved space reaches the interval arithmetic (BigInt for IPv6) in publicParts*.
 */
import { IPV4_SPECIAL_PURPOSE, IPV6_SPECIAL_PURPOSE, type SpecialPurposeEntry } from './special-purpose-ranges.ts';
import { blockOverlapV4, blockOverlapV6, coalesceV4, coalesceV6, subtractFromBlockV4, subtractFromBlockV6 } from './block-subtract.ts';
import { parseCidrSyntax } from './cidr-syntax.ts';
import { wordsToBigInt } from './ipv6-text.ts';

export const PUBLIC = 0;
export const WHOLLY_RESERVED = 1;
export const PARTLY_RESERVED = 2;
export type ReservedState = typeof PUBLIC | typeof WHOLLY_RESERVED | typeof PARTLY_RESERVED;

interface V4Entry {
  entry: SpecialPurposeEntry;
  start: number;
  prefix: number;
}
interface V6Entry {
  entry: SpecialPurposeEntry;
  start: bigint;
  prefix: number;
}

function loadV4(): V4Entry[] {
  return IPV4_SPECIAL_PURPOSE.map((entry) => {
    const p = parseCidrSyntax(entry.cidr);
    if (!p.ok || p.family !== 4 || p.hostBits) throw new Error(`bad special-purpose entry ${entry.cidr}`);
    return { entry, start: p.start, prefix: p.prefix };
  });
}

function loadV6(): V6Entry[] {
  return IPV6_SPECIAL_PURPOSE.map((entry) => {
    const p = parseCidrSyntax(entry.cidr);
    // ::ffff:0:0/96 parses as IPv4 0.0.0.0/0 (mapped); keep it as the IPv6 block it is.
    if (!p.ok || p.hostBits) throw new Error(`bad special-purpose entry ${entry.cidr}`);
    if (p.family === 4) return { entry, start: 0xffffn << 32n, prefix: 96 };
    const w = p.words;
    return { entry, start: wordsToBigInt(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0), prefix: p.prefix };
  });
}

const V4_ENTRIES = loadV4();
const V6_ENTRIES = loadV6();

/** Union of the refused IPv4 space as coalesced [lo, hi] intervals. */
export const RESERVED_V4_INTERVALS: readonly number[] = coalesceV4(
  V4_ENTRIES.map((e) => [e.start, e.start + 2 ** (32 - e.prefix) - 1] as const),
);
/** Union of the refused IPv6 space as coalesced [lo, hi] intervals. */
export const RESERVED_V6_INTERVALS: readonly bigint[] = coalesceV6(
  V6_ENTRIES.map((e) => [e.start, e.start + (1n << BigInt(128 - e.prefix)) - 1n] as const),
);

// Per first octet / first group: the state of that whole /8 or /16.
const V4_OCTET_STATE = new Uint8Array(256);
for (let o = 0; o < 256; o++) V4_OCTET_STATE[o] = blockOverlapV4(o * 2 ** 24, 8, RESERVED_V4_INTERVALS);
const V6_GROUP_STATE = new Uint8Array(65536);
for (let k = 0; k < RESERVED_V6_INTERVALS.length; k += 2) {
  const lo = RESERVED_V6_INTERVALS[k] ?? 0n;
  const hi = RESERVED_V6_INTERVALS[k + 1] ?? 0n;
  // Only the groups this interval touches (a few hundred in all), not all 65536.
  for (let g = Number(lo >> 112n); g <= Number(hi >> 112n); g++) {
    const gLo = BigInt(g) << 112n;
    const gHi = gLo + (1n << 112n) - 1n;
    V6_GROUP_STATE[g] = lo <= gLo && hi >= gHi ? WHOLLY_RESERVED : PARTLY_RESERVED;
  }
}

/** Reserved state of an IPv4 CIDR (network address `start`, host bits clear). */
export function reservedStateV4(start: number, prefix: number): ReservedState {
  if (prefix >= 8) {
    const s = V4_OCTET_STATE[start >>> 24] ?? PARTLY_RESERVED;
    if (s !== PARTLY_RESERVED) return s as ReservedState;
  }
  return blockOverlapV4(start, prefix, RESERVED_V4_INTERVALS);
}

/** Reserved state of an IPv6 CIDR given as four words (host bits clear). */
export function reservedStateV6(w0: number, w1: number, w2: number, w3: number, prefix: number): ReservedState {
  if (prefix >= 16) {
    const s = V6_GROUP_STATE[w0 >>> 16] ?? PARTLY_RESERVED;
    if (s !== PARTLY_RESERVED) return s as ReservedState;
  }
  return blockOverlapV6(wordsToBigInt(w0, w1, w2, w3), prefix, RESERVED_V6_INTERVALS);
}

/** The public part of an IPv4 CIDR as flat [start, prefix, ...] pairs (empty when wholly reserved). */
export function publicPartsV4(start: number, prefix: number): number[] {
  const out: number[] = [];
  subtractFromBlockV4(start, prefix, RESERVED_V4_INTERVALS, out);
  return out;
}

/** The public part of an IPv6 CIDR as [start, prefix] pairs (empty when wholly reserved). */
export function publicPartsV6(start: bigint, prefix: number): Array<[bigint, number]> {
  const out: Array<[bigint, number]> = [];
  subtractFromBlockV6(start, prefix, RESERVED_V6_INTERVALS, out);
  return out;
}

/** The most specific registry entry overlapping an IPv4 CIDR (for messages). */
export function reservedEntryV4(start: number, prefix: number): SpecialPurposeEntry | undefined {
  const end = start + 2 ** (32 - prefix) - 1;
  let best: V4Entry | undefined;
  for (const e of V4_ENTRIES) {
    const eEnd = e.start + 2 ** (32 - e.prefix) - 1;
    if (e.start <= end && eEnd >= start && (!best || e.prefix > best.prefix)) best = e;
  }
  return best?.entry;
}

/** The most specific registry entry overlapping an IPv6 CIDR (for messages). */
export function reservedEntryV6(start: bigint, prefix: number): SpecialPurposeEntry | undefined {
  const end = start + (1n << BigInt(128 - prefix)) - 1n;
  let best: V6Entry | undefined;
  for (const e of V6_ENTRIES) {
    const eEnd = e.start + (1n << BigInt(128 - e.prefix)) - 1n;
    if (e.start <= end && eEnd >= start && (!best || e.prefix > best.prefix)) best = e;
  }
  return best?.entry;
}
