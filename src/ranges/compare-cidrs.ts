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

/** A sorted copy (compareCidrs order), parsing each element once. */
export function sortCidrs(cidrs: readonly string[]): string[] {
  const decorated = cidrs.map((text) => ({ text, p: parseCidrSyntax(text) }));
  decorated.sort((x, y) => compareParsed(x.p, y.p, x.text, y.text));
  return decorated.map((d) => d.text);
}
