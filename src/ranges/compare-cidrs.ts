/**
 * compareCidrs: the order every CIDR list of this service is kept in: IPv4 before IPv6; within a
 * family by network address ascending, then by prefix length ascending (the broader block first), as
 * Python sorts ip_network objects. Unparsable text sorts after every valid CIDR, by plain string order.
 * sortCidrs sorts a whole list with one parse per element.
 */
import { parseCidrSyntax, type CidrSyntax } from './cidr-syntax.ts';

function compareParsed(a: CidrSyntax, b: CidrSyntax, ta: string, tb: string): number {
  if (!a.ok || !b.ok) {
    if (a.ok) return -1;
    if (b.ok) return 1;
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  }
  if (a.family !== b.family) return a.family - b.family;
  if (a.family === 4) {
    if (a.start !== b.start) return a.start - b.start;
  } else {
    for (let w = 0; w < 4; w++) {
      const d = (a.words[w] ?? 0) - (b.words[w] ?? 0);
      if (d !== 0) return d;
    }
  }
  return a.prefix - b.prefix;
}

export function compareCidrs(a: string, b: string): number {
  return compareParsed(parseCidrSyntax(a), parseCidrSyntax(b), a, b);
}

/** The parsed forms of a list in typed columns: family (0 = not a CIDR), address words (IPv4: the first), prefix. */
interface Columns {
  family: Uint8Array;
  words: Uint32Array;
  prefix: Uint8Array;
}

function columnsOf(cidrs: readonly string[]): Columns {
  const n = cidrs.length;
  const c: Columns = { family: new Uint8Array(n), words: new Uint32Array(4 * n), prefix: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const p = parseCidrSyntax(cidrs[i] as string);
    if (!p.ok) continue;
    c.family[i] = p.family;
    c.prefix[i] = p.prefix;
    if (p.family === 4) c.words[4 * i] = p.start;
    else c.words.set(p.words, 4 * i);
  }
  return c;
}

function compareColumns(c: Columns, a: number, b: number, ta: string, tb: string): number {
  const fa = c.family[a] as number;
  const fb = c.family[b] as number;
  if (fa === 0 || fb === 0) {
    if (fa !== 0) return -1;
    if (fb !== 0) return 1;
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  }
  if (fa !== fb) return fa - fb;
  for (let w = 0; w < 4; w++) {
    const d = (c.words[4 * a + w] as number) - (c.words[4 * b + w] as number);
    if (d !== 0) return d;
  }
  return (c.prefix[a] as number) - (c.prefix[b] as number);
}

/**
 * A sorted copy (compareCidrs order), parsing each element once into typed columns and sorting an
 * index array: no object per element lives while sorting (a full target's 390,000 ranges as parsed
 * objects would hold ~80 MB at once).
 */
export function sortCidrs(cidrs: readonly string[]): string[] {
  const c = columnsOf(cidrs);
  const order = Uint32Array.from({ length: cidrs.length }, (_, i) => i);
  order.sort((a, b) => compareColumns(c, a, b, cidrs[a] as string, cidrs[b] as string) || a - b);
  return Array.from(order, (i) => cidrs[i] as string);
}
