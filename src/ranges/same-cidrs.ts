/**
 * sameCidrs: do two lists of CIDR text hold the same ranges, ignoring order, duplicates and spelling?
 * Both sides are compared after normalizeCidr (so Graph's echo `2001:0:9d38:90d6:0:0:0:0/63`,
 * `::ffff:1.2.3.4/128` or `12.34.221.11/22` matches what the service writes); an unparsable entry
 * compares as its trimmed lower-case text. The one comparison of CIDR lists: reconcile's apply and
 * the Graph client's write checks both use it, and it agrees with the plan, which normalises live
 * ranges with the same normalizeCidr. Pure.
 */
import { normalizeCidr } from './normalize-cidr.ts';

function canonical(c: string): string {
  return normalizeCidr(c) ?? c.trim().toLowerCase();
}

export function sameCidrs(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a.map(canonical));
  const sb = new Set(b.map(canonical));
  return sa.size === sb.size && [...sa].every((v) => sb.has(v));
}
