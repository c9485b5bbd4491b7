/**
 * Deterministic indicator generator for the ThreatQ emulator: row i depends only on (seed, i), so the
 * same spec always yields the same collection, and 100,000 rows take well under a second.
 *
 * Mix (per mille): 480 IPv4 (IP Address), 120 IPv6, 100 CIDR Block (v4 /16-/28, some v6 /48),
 * 90 FQDN, 90 URL, 70 MD5 — the last three must be filtered out by the client — then 20 malformed
 * network values (bad octets, /33, stray whitespace, truncated) and 30 reserved or special-purpose
 * values (RFC 1918, loopback, link-local, multicast, 0.0.0.0/0, documentation), as real feeds carry.
 * Statuses: 75 % Active, 10 % Expired, 6 % Whitelisted, 5 % Review, 4 % Indirect. Scores 0-10, about
 * 5 % without a score. `updated_at` rises by 61 s every two rows (pairs share a timestamp, exercising
 * the id tie-break), from 2024-01-01 00:00:00 UTC.
 * Public IPv4 values are unique (an odd multiplier is a bijection on 24 bits), IPv6 likewise.
 */
import type { EmulatorStore } from './emulator-store.ts';
import type { GenerateSpec } from './emulator-seed.ts';

export const GENERATOR_BASE_EPOCH = Date.UTC(2024, 0, 1) / 1000;

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

export function generateIndicator(seed: number, i: number): GeneratedIndicator {
  const h = hash32(seed, i);
  const bucket = h % 1000;
  const n = (Math.imul(i + 1, 7919) + seed * 104_729) & 0xffffff;
  const first = PUBLIC_FIRST_OCTETS[i % PUBLIC_FIRST_OCTETS.length] ?? 23;
  const ipv4 = `${first}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  let type: string;
  let value: string;
  if (bucket < 480) [type, value] = ['IP Address', ipv4];
  else if (bucket < 600) [type, value] = ['IPv6 Address', `2a02:${hex(seed & 0xffff)}:${hex(i >>> 16)}:${hex(i & 0xffff)}::${hex((h >>> 12) & 0xfff)}`];
  else if (bucket < 700) {
    const prefixes = [16, 20, 24, 24, 24, 28];
    const p = prefixes[h % prefixes.length] ?? 24;
    const mask = p === 32 ? 0xffffffff : ~((1 << (32 - p)) - 1) >>> 0;
    const addr = ((first << 24) | n) & mask;
    value = h % 10 === 0 ? `2a03:${hex(seed & 0xffff)}:${hex(i & 0xffff)}::/48` : `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${p}`;
    type = 'CIDR Block';
  } else if (bucket < 790) [type, value] = ['FQDN', `host${i}.bad-${hex(h & 0xfff)}.example`];
  else if (bucket < 880) [type, value] = ['URL', `http://dl${i}.bad-${hex(h & 0xfff)}.example/payload/${hex(h, 8)}.exe`];
  else if (bucket < 950) [type, value] = ['MD5', `${hex(hash32(seed, i, 1), 8)}${hex(hash32(seed, i, 2), 8)}${hex(hash32(seed, i, 3), 8)}${hex(hash32(seed, i, 4), 8)}`];
  else if (bucket < 970) {
    value = MALFORMED[h % MALFORMED.length] ?? 'not-an-ip';
    type = value.includes('/') ? 'CIDR Block' : value.includes(':') ? 'IPv6 Address' : 'IP Address';
  } else [type, value] = RESERVED[h % RESERVED.length] ?? ['IP Address', '10.0.0.1'];
  const s = hash32(seed, i, 5) % 100;
  const status = s < 75 ? 'Active' : s < 85 ? 'Expired' : s < 91 ? 'Whitelisted' : s < 96 ? 'Review' : 'Indirect';
  const sc = hash32(seed, i, 6);
  const updated = GENERATOR_BASE_EPOCH + Math.floor(i / 2) * 61;
  return { type, status, value, score: sc % 20 === 0 ? null : sc % 11, created: updated - (sc % (30 * 86_400)), updated };
}

/** Append `spec.count` generated indicators to the store, ids from `firstId` on. */
export function fillGenerated(store: EmulatorStore, spec: GenerateSpec, firstId: number): void {
  const seed = spec.seed ?? 1;
  const typeIdx = new Map(store.types.map((t, k) => [t.name, k]));
  const statusIdx = new Map(store.statuses.map((t, k) => [t.name, k]));
  for (let i = 0; i < spec.count; i++) {
    const g = generateIndicator(seed, i);
    const t = typeIdx.get(g.type) ?? store.typeIndex(g.type);
    const st = statusIdx.get(g.status) ?? store.statusIndex(g.status);
    store.rows.push(firstId + i, g.value, t, st, g.score, g.created, g.updated);
  }
  store.changed();
}
