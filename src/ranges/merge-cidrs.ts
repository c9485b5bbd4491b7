/**
 * mergeCidrs: the minimal list of CIDRs covering exactly the union of the inputs, per family (adjacent
 * and overlapping ranges collapse, contained ones vanish), IPv4 ascending then IPv6 ascending: the same
 * result as Python's ipaddress.collapse_addresses on each family. Accepts any CIDR or address text
 * (host bits are cleared, IPv4-mapped IPv6 becomes IPv4); throws InvalidCidrError on anything else.
 * No prefix floor and no reserved-space policy here: that is parseIndicator's job.
 */
import { storeOf } from './numeric-cidr.ts';

export function mergeCidrs(cidrs: Iterable<string>): string[] {
  return storeOf(cidrs).toCidrs();
}
