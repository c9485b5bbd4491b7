/**
 * CIDR text parsing and normalisation for the Graph side.
 *
 * Graph echoes `cidrAddress` exactly as it was sent (host bits set, uncompressed IPv6 kept), so the
 * client compares ranges only after normalising both sides: network address (host bits cleared),
 * lower-case compressed IPv6 (RFC 5952 via the WHATWG URL parser), decimal prefix. Also used by the
 * Graph emulator to validate `cidrAddress` (rules NL3, NL4, NL5, NL10). Pure; no dependencies.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedCidr {
  family: 4 | 6;
  /** The address as written, as a number (host bits not cleared). */
  address: bigint;
  prefix: number;
}

/** Parse `addr/len`; undefined when it is not a CIDR of either family (bare IPs are not CIDRs). */
export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash !== text.lastIndexOf('/')) return undefined;
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  if (isIPv4(addr)) {
    if (prefix > 32) return undefined;
    return { family: 4, address: ipv4ToBigInt(addr), prefix };
  }
  if (isIPv6(addr) && !addr.includes('%')) {
    if (prefix > 128) return undefined;
    return { family: 6, address: ipv6ToBigInt(addr), prefix };
  }
  return undefined;
}

function ipv4ToBigInt(addr: string): bigint {
  return addr.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(addr: string): bigint {
  let text = addr;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToBigInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const parts = [...headParts, ...Array<string>(fill).fill('0'), ...tailParts];
  return parts.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n);
}

export function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** First address of the range (host bits cleared). */
export function networkOf(c: ParsedCidr): bigint {
  const hostBits = BigInt(bits(c.family) - c.prefix);
  return (c.address >> hostBits) << hostBits;
}

/** Last address of the range. */
export function lastOf(c: ParsedCidr): bigint {
  const hostBits = BigInt(bits(c.family) - c.prefix);
  return networkOf(c) | ((1n << hostBits) - 1n);
}

export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
  }
  const hextets: string[] = [];
  for (let i = 7; i >= 0; i--) hextets.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The URL parser applies RFC 5952 compression.
  return new URL(`http://[${hextets.join(':')}]/`).hostname.slice(1, -1);
}

/** Canonical text of a CIDR (`12.34.221.11/22` -> `12.34.220.0/22`); undefined when unparsable. */
export function normalizeCidr(text: string): string | undefined {
  const c = parseCidr(text.trim());
  if (!c) return undefined;
  return `${formatAddress(c.family, networkOf(c))}/${c.prefix}`;
}

/** Do two ranges share any address? */
export function cidrsOverlap(a: ParsedCidr, b: ParsedCidr): boolean {
  if (a.family !== b.family) return false;
  return networkOf(a) <= lastOf(b) && networkOf(b) <= lastOf(a);
}
