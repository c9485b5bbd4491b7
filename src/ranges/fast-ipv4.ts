/**
 * The hot-loop recogniser for the common case, "a.b.c.d" or "a.b.c.d/nn" with nothing around it, from
 * a string or straight from bytes. Each function returns the address (host bits NOT cleared) or -1 for
 * anything else (whitespace, leading zeros, IPv6, errors...), which then takes the full parser
 * (cidr-syntax.ts) so every diagnostic stays in one place. The prefix of the last success is read with
 * fastPrefix() (a module variable instead of a result object: no allocation, no packing arithmetic).
 */

let lastPrefix = 32;
let stoppedAt = 0;

/** Prefix length of the last successful fastIPv4* call. */
export function fastPrefix(): number {
  return lastPrefix;
}

/** Where the last successful fastIPv4Line call stopped: `to`, or the index of the CR/LF ending the value. */
export function fastStop(): number {
  return stoppedAt;
}

export function fastIPv4(s: string): number {
  const len = s.length;
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3) return -1;
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || dots === 3) return -1;
      addr = addr * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 47) {
      break;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  addr = addr * 256 + octet;
  if (i === len) {
    lastPrefix = 32;
    return addr;
  }
  // "/nn": one or two digits, <= 32
  if (i + 1 >= len) return -1;
  const d1 = s.charCodeAt(i + 1) - 48;
  if (d1 < 0 || d1 > 9) return -1;
  let prefix = d1;
  if (i + 2 < len) {
    const d2 = s.charCodeAt(i + 2) - 48;
    if (d2 < 0 || d2 > 9 || i + 3 !== len) return -1;
    prefix = d1 * 10 + d2;
  }
  if (prefix > 32) return -1;
  lastPrefix = prefix;
  return addr;
}

/**
 * fastIPv4 over bytes, stopping at a CR or LF (or `to`): the line scanner parses while it looks for the
 * end of the line. fastStop() tells where it stopped.
 */
export function fastIPv4Line(b: Uint8Array, from: number, to: number): number {
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = from;
  let c = 0;
  for (; i < to; i++) {
    c = b[i]!;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3) return -1;
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || dots === 3) return -1;
      addr = addr * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 47 || c === 10 || c === 13) {
      break;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  addr = addr * 256 + octet;
  if (i === to || c !== 47) {
    stoppedAt = i;
    lastPrefix = 32;
    return addr;
  }
  // "/nn": one or two digits, <= 32, then the end.
  i++;
  let prefix = 0;
  let pd = 0;
  for (; i < to; i++) {
    c = b[i]!;
    if (c >= 48 && c <= 57) {
      prefix = prefix * 10 + (c - 48);
      if (++pd > 2) return -1;
    } else if (c === 10 || c === 13) {
      break;
    } else {
      return -1;
    }
  }
  if (pd === 0 || prefix > 32) return -1;
  stoppedAt = i;
  lastPrefix = prefix;
  return addr;
}

/** fastIPv4 over bytes[from, to) (the whole range must be the value). */
export function fastIPv4Bytes(b: Uint8Array, from: number, to: number): number {
  const r = fastIPv4Line(b, from, to);
  return r >= 0 && stoppedAt === to ? r : -1;
}
