/**
 * Deterministic indicator generator for the ThreatQ emulator: row i depends only on (seed, i,
 * distribution), so the same spec always yields the same collection, and 100,000 rows take well under
 * a second. Two distributions (GenerateSpec.distribution, `--generator-distribution`):
 *
 * clustered (default): mix (per mille) 480 IPv4 (IP Address), 120 IPv6, 100 CIDR Block (v4 /16-/28,
 *   some v6 /48), 90 FQDN, 90 URL, 70 MD5 — the last three must be filtered out by the client — then
 *   20 malformed network values (bad octets, /33, stray whitespace, truncated) and 30 reserved or
 *   special-purpose values (RFC 1918, loopback, link-local, multicast, 0.0.0.0/0, documentation), as
 *   real feeds carry. Most IPv4 addresses fall inside the /16 and /20 blocks and the v6 /48s repeat
 *   every 65,536 rows, so ranges merge: 1,000,000 rows give about 103,000 ranges.
 * sparse: nothing merges, so the merged ranges are as many as the accepted network indicators: a full
 *   Entra target from 1,000,000 rows (about 382,500 ranges, 192 locations of 2000; 390,000 fit in 195).
 *   Mix 380 IPv4, 80 IPv6, 50 CIDR Block (v4 /28-/30, some v6 /48), 150 FQDN, 150 URL, 140 MD5, 20
 *   malformed, 30 reserved. Row i owns the 32-address block `perm19(⌊i / 11⌋) × 32` of the public /8
 *   PUBLIC_FIRST_OCTETS[i mod 11] (none holds special-purpose space; perm19 is a seeded bijection on
 *   19 bits) and its value lies in the block's first 16 addresses: an IPv4 /32 anywhere there, a CIDR
 *   /28-/30 at its start. So no two values overlap or touch (16 addresses at least between them) for
 *   up to 11 × 2^19 = 5,767,168 rows. IPv6: a /128 in its own /64 (2a02:<seed>:<i>::/64), a /48
 *   2a03:<i ≫ 15>:<2 × (i mod 2^15)>::/48 (never two adjacent /48s).
 *
 * Both: statuses 75 % Active, 10 % Expired, 6 % Whitelisted, 5 % Review, 4 % Indirect. Scores 0-10,
 * about 5 % without a score. `updated_at` rises by 61 s every two rows (pairs share a timestamp,
 * exercising the id tie-break), from 2024-01-01 00:00:00 UTC. Public IPv4 values are unique (clustered:
 * an odd multiplier is a bijection on 24 bits), IPv6 likewise.
 */
import type { EmulatorStore } from './emulator-store.ts';
import { GENERATOR_DISTRIBUTIONS, type GenerateSpec, type GeneratorDistribution } from './emulator-seed.ts';

export const GENERATOR_BASE_EPOCH = Date.UTC(2024, 0, 1) / 1000;

/** Public /8s without special-purpose space. */
const PUBLIC_FIRST_OCTETS = [23, 31, 45, 62, 77, 91, 103, 141, 185, 193, 212];
const MALFORMED = ['999.12.1.3', '10.0.0.1/33', 'not-an-ip', ' 198.51.100.7 ', '2001:db8::zz', '1.2.3', '300.300.300.300/24', '8.8.8.8/-1'];
const RESERVED: readonly [string, string][] = [
  ['IP Address', '10.1.2.3'],
  ['IP Address', '192.168.1.10'],
  ['IP Address', '127.0.0.1'],
  ['CIDR Block', '0.0.0.0/0'],
  ['IP Address', '224.0.0.5'],
  ['IP Address', '169.254.10.1'],
  ['IPv6 Address', 'fe80::1'],
  ['IPv6 Address', '::1'],
  ['IP Address', '100.64.0.1'],
  ['IP Address', '192.0.2.15'],
  ['CIDR Block', '172.16.0.0/12'],
];

/** A 32-bit mix of (seed, i, salt): murmur3's finaliser. */
export function hash32(seed: number, i: number, salt = 0): number {
  let h = (seed * 0x9e3779b1) ^ (i * 0x85ebca6b) ^ (salt * 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const hex = (n: number, width = 1) => n.toString(16).padStart(width, '0');

export interface GeneratedIndicator {
  type: string;
  status: string;
  value: string;
  score: number | null;
  created: number;
  updated: number;
}

/** A distribution name from a flag or a seed; throws an Error naming `what` and the choices otherwise. */
export function parseDistribution(text: unknown, what = 'generate.distribution'): GeneratorDistribution {
  const found = GENERATOR_DISTRIBUTIONS.find((d) => d === text);
  if (found === undefined) throw new Error(`${what} must be one of ${GENERATOR_DISTRIBUTIONS.join(', ')} (got "${String(text)}")`);
  return found;
}

type TypedValue = [type: string, value: string];

const dotted = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** Malformed network values (bucket 950-969) and reserved ones (970-999), the same in both distributions. */
function badValue(bucket: number, h: number): TypedValue {
  if (bucket < 970) {
    const value = MALFORMED[h % MALFORMED.length] ?? 'not-an-ip';
    return [value.includes('/') ? 'CIDR Block' : value.includes(':') ? 'IPv6 Address' : 'IP Address', value];
  }
  return RESERVED[h % RESERVED.length] ?? ['IP Address', '10.0.0.1'];
}

/** The non-network types, filtered out by the client. */
function otherValue(type: 'FQDN' | 'URL' | 'MD5', seed: number, i: number, h: number): TypedValue {
  switch (type) {
    case 'FQDN':
      return [type, `host${i}.bad-${hex(h & 0xfff)}.example`];
    case 'URL':
      return [type, `http://dl${i}.bad-${hex(h & 0xfff)}.example/payload/${hex(h, 8)}.exe`];
    case 'MD5':
      return [type, `${hex(hash32(seed, i, 1), 8)}${hex(hash32(seed, i, 2), 8)}${hex(hash32(seed, i, 3), 8)}${hex(hash32(seed, i, 4), 8)}`];
    default: {
      const never: never = type;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

function clusteredValue(seed: number, i: number, h: number): TypedValue {
  const bucket = h % 1000;
  const n = (Math.imul(i + 1, 7919) + seed * 104_729) & 0xffffff;
  const first = PUBLIC_FIRST_OCTETS[i % PUBLIC_FIRST_OCTETS.length] ?? 23;
  if (bucket < 480) return ['IP Address', `${first}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`];
  if (bucket < 600) return ['IPv6 Address', `2a02:${hex(seed & 0xffff)}:${hex(i >>> 16)}:${hex(i & 0xffff)}::${hex((h >>> 12) & 0xfff)}`];
  if (bucket < 700) {
    const prefixes = [16, 20, 24, 24, 24, 28];
    const p = prefixes[h % prefixes.length] ?? 24;
    const mask = p === 32 ? 0xffffffff : ~((1 << (32 - p)) - 1) >>> 0;
    const addr = ((first << 24) | n) & mask;
    return ['CIDR Block', h % 10 === 0 ? `2a03:${hex(seed & 0xffff)}:${hex(i & 0xffff)}::/48` : `${dotted(addr >>> 0)}/${p}`];
  }
  if (bucket < 950) return otherValue(bucket < 790 ? 'FQDN' : bucket < 880 ? 'URL' : 'MD5', seed, i, h);
  return badValue(bucket, h);
}

const SPARSE_BLOCK_BITS = 19;

/** Start of row i's 32-address block: a seeded bijection of ⌊i / 11⌋ on 19 bits, in the row's /8. */
function sparseBlock(seed: number, i: number): number {
  const first = PUBLIC_FIRST_OCTETS[i % PUBLIC_FIRST_OCTETS.length] ?? 23;
  const k = Math.floor(i / PUBLIC_FIRST_OCTETS.length);
  const block = (Math.imul(k, 0x5bd1e995) + hash32(seed, 0, 7)) & ((1 << SPARSE_BLOCK_BITS) - 1);
  return ((first << 24) | (block << 5)) >>> 0;
}

function sparseValue(seed: number, i: number, h: number): TypedValue {
  const bucket = h % 1000;
  if (bucket < 380) return ['IP Address', dotted(sparseBlock(seed, i) + ((h >>> 12) & 15))];
  if (bucket < 460) return ['IPv6 Address', `2a02:${hex(seed & 0xffff)}:${hex(i >>> 16)}:${hex(i & 0xffff)}::${hex((h >>> 12) & 0xfff)}`];
  if (bucket < 510) {
    if (h % 10 === 0) return ['CIDR Block', `2a03:${hex(i >>> 15)}:${hex((i & 0x7fff) << 1)}::/48`];
    return ['CIDR Block', `${dotted(sparseBlock(seed, i))}/${28 + ((h >>> 12) % 3)}`];
  }
  if (bucket < 950) return otherValue(bucket < 660 ? 'FQDN' : bucket < 810 ? 'URL' : 'MD5', seed, i, h);
  return badValue(bucket, h);
}

function networkValue(distribution: GeneratorDistribution, seed: number, i: number, h: number): TypedValue {
  switch (distribution) {
    case 'clustered':
      return clusteredValue(seed, i, h);
    case 'sparse':
      return sparseValue(seed, i, h);
    default: {
      const never: never = distribution;
      throw new Error(`unknown generator distribution ${String(never)}`);
    }
  }
}

export function generateIndicator(seed: number, i: number, distribution: GeneratorDistribution = 'clustered'): GeneratedIndicator {
  const h = hash32(seed, i);
  const [type, value] = networkValue(distribution, seed, i, h);
  const s = hash32(seed, i, 5) % 100;
  const status = s < 75 ? 'Active' : s < 85 ? 'Expired' : s < 91 ? 'Whitelisted' : s < 96 ? 'Review' : 'Indirect';
  const sc = hash32(seed, i, 6);
  const updated = GENERATOR_BASE_EPOCH + Math.floor(i / 2) * 61;
  return { type, status, value, score: sc % 20 === 0 ? null : sc % 11, created: updated - (sc % (30 * 86_400)), updated };
}

/** Append `spec.count` generated indicators to the store, ids from `firstId` on. */
export function fillGenerated(store: EmulatorStore, spec: GenerateSpec, firstId: number): void {
  const seed = spec.seed ?? 1;
  const distribution = parseDistribution(spec.distribution ?? 'clustered');
  const typeIdx = new Map(store.types.map((t, k) => [t.name, k]));
  const statusIdx = new Map(store.statuses.map((t, k) => [t.name, k]));
  for (let i = 0; i < spec.count; i++) {
    const g = generateIndicator(seed, i, distribution);
    const t = typeIdx.get(g.type) ?? store.typeIndex(g.type);
    const st = statusIdx.get(g.status) ?? store.statusIndex(g.status);
    store.rows.push(firstId + i, g.value, t, st, g.score, g.created, g.updated);
  }
  store.changed();
}
