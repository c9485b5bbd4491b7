/**
 * IPv4 text <-> uint32, straight from char codes (no split, no regex, no allocation).
 *
 * Accepted: exactly four dot-separated decimal octets, 0-255, no leading zeros ("010" is ambiguous:
 * inet_aton reads it as octal 8, others as decimal 10; we refuse rather than guess). Shorthand forms
 * ("10.1", "0x7f.1", "2130706433") are not accepted, as in Python's ipaddress.
 */

/** Error results of parseIPv4 (negative, so any result >= 0 is an address). */
export const V4_NOT_AN_ADDRESS = -1;
export const V4_OCTET_OUT_OF_RANGE = -2;
export const V4_LEADING_ZERO = -3;

/**
 * Parse `s.slice(from, to)` as a dotted quad. Returns the address as an unsigned 32-bit number, or one of
 * the negative V4_* codes. Shape problems win over octet problems; octets are checked left to right.
 */
export function parseIPv4(s: string, from: number, to: number): number {
  // Shape first: four non-empty digit runs separated by three dots.
  let dots = 0;
  let run = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (run === 0) return V4_NOT_AN_ADDRESS;
      dots++;
      run = 0;
    } else if (c >= 48 && c <= 57) {
      run++;
    } else {
      return V4_NOT_AN_ADDRESS;
    }
  }
  if (dots !== 3 || run === 0) return V4_NOT_AN_ADDRESS;
  let addr = 0;
  let octet = 0;
  let len = 0;
  let lead = false;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (lead && len > 1) return V4_LEADING_ZERO;
      if (octet > 255) return V4_OCTET_OUT_OF_RANGE;
      addr = addr * 256 + octet;
      octet = 0;
      len = 0;
    } else {
      if (len === 0) lead = c === 48;
      len++;
      if (octet <= 255) octet = octet * 10 + (c - 48);
    }
  }
  return addr;
}

const OCTETS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** Dotted-quad text of an unsigned 32-bit address. */
export function formatIPv4(addr: number): string {
  return `${OCTETS[addr >>> 24]}.${OCTETS[(addr >>> 16) & 255]}.${OCTETS[(addr >>> 8) & 255]}.${OCTETS[addr & 255]}`;
}

/** `a.b.c.d/p`. */
export function formatIPv4Cidr(addr: number, prefix: number): string {
  return `${formatIPv4(addr)}/${prefix}`;
}

/** Size of an IPv4 block of this prefix length (2^(32-prefix)), exact as a double. */
export function v4BlockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** The prefix length of a contiguous netmask (255.255.255.0 -> 24), or -1 when not contiguous. */
export function netmaskToPrefix(mask: number): number {
  const inverted = ~mask >>> 0; // host bits: must be 2^k - 1
  if ((inverted & (inverted + 1)) !== 0) return -1;
  let hostBits = 0;
  for (let v = inverted; v !== 0; v >>>= 1) hostBits++;
  return 32 - hostBits;
}
