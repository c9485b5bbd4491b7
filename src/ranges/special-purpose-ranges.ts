/**
 * Reserved and special-purpose address space, written out as data from the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (iana-ipv4-special-registry, iana-ipv6-special-registry, as of
 * 2025) plus the two multicast blocks (their own IANA registries).
 *
 * Policy (the choice this service makes, see reserved-space.ts): every block of both registries, plus
 * multicast, is refused as RESERVED, whatever its "Globally Reachable" flag. The globally reachable
 * entries are anycast service addresses (AS112, AMT, PCP/TURN), translation or identifier prefixes
 * (64:ff9b::/96, ORCHIDv2, DRIP) and obsolete tunnels (6to4, Teredo): none is a sign-in source worth a
 * block-list entry, and refusing them keeps the rule simple to state and to check. The flag is kept
 * as data for documentation.
 */

export interface SpecialPurposeEntry {
  /** Canonical CIDR of the block. */
  readonly cidr: string;
  /** The registry's name for the block. */
  readonly name: string;
  /** The RFC(s) the registry cites. */
  readonly rfc: string;
  /** IANA "Globally Reachable": true, false, or null for N/A (deprecated/anycast-scoped blocks). */
  readonly globallyReachable: boolean | null;
}

export const IPV4_SPECIAL_PURPOSE: readonly SpecialPurposeEntry[] = [
  { cidr: '0.0.0.0/8', name: '"This network"', rfc: 'RFC 791', globallyReachable: false },
  { cidr: '0.0.0.0/32', name: '"This host on this network" (unspecified)', rfc: 'RFC 1122', globallyReachable: false },
  { cidr: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918', globallyReachable: false },
  { cidr: '100.64.0.0/10', name: 'Shared Address Space (CGNAT)', rfc: 'RFC 6598', globallyReachable: false },
  { cidr: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122', globallyReachable: false },
  { cidr: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927', globallyReachable: false },
  { cidr: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918', globallyReachable: false },
  { cidr: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890', globallyReachable: false },
  { cidr: '192.0.0.0/29', name: 'IPv4 Service Continuity Prefix', rfc: 'RFC 7335', globallyReachable: false },
  { cidr: '192.0.0.8/32', name: 'IPv4 dummy address', rfc: 'RFC 7600', globallyReachable: false },
  { cidr: '192.0.0.9/32', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723', globallyReachable: true },
  { cidr: '192.0.0.10/32', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155', globallyReachable: true },
  { cidr: '192.0.0.170/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 8880, RFC 7050', globallyReachable: false },
  { cidr: '192.0.0.171/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 8880, RFC 7050', globallyReachable: false },
  { cidr: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737', globallyReachable: false },
  { cidr: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535', globallyReachable: true },
  { cidr: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450', globallyReachable: true },
  { cidr: '192.88.99.0/24', name: 'Deprecated (6to4 Relay Anycast)', rfc: 'RFC 7526', globallyReachable: null },
  { cidr: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918', globallyReachable: false },
  { cidr: '192.175.48.0/24', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534', globallyReachable: true },
  { cidr: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544', globallyReachable: false },
  { cidr: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737', globallyReachable: false },
  { cidr: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737', globallyReachable: false },
  { cidr: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', globallyReachable: false },
  { cidr: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112', globallyReachable: false },
  { cidr: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 8190, RFC 919', globallyReachable: false },
];

export const IPV6_SPECIAL_PURPOSE: readonly SpecialPurposeEntry[] = [
  { cidr: '::/128', name: 'Unspecified Address', rfc: 'RFC 4291', globallyReachable: false },
  { cidr: '::1/128', name: 'Loopback Address', rfc: 'RFC 4291', globallyReachable: false },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped Address', rfc: 'RFC 4291', globallyReachable: false },
  { cidr: '64:ff9b::/96', name: 'IPv4-IPv6 Translation (well-known prefix)', rfc: 'RFC 6052', globallyReachable: true },
  { cidr: '64:ff9b:1::/48', name: 'IPv4-IPv6 Translation (local use)', rfc: 'RFC 8215', globallyReachable: false },
  { cidr: '100::/64', name: 'Discard-Only Address Block', rfc: 'RFC 6666', globallyReachable: false },
  { cidr: '100:0:0:1::/64', name: 'Dummy IPv6 Prefix', rfc: 'RFC 9780', globallyReachable: false },
  { cidr: '2001::/23', name: 'IETF Protocol Assignments', rfc: 'RFC 2928', globallyReachable: false },
  { cidr: '2001::/32', name: 'TEREDO', rfc: 'RFC 4380, RFC 8190', globallyReachable: null },
  { cidr: '2001:1::1/128', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723', globallyReachable: true },
  { cidr: '2001:1::2/128', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155', globallyReachable: true },
  { cidr: '2001:1::3/128', name: 'DNS-SD Service Registration Protocol Anycast', rfc: 'RFC 9665', globallyReachable: true },
  { cidr: '2001:2::/48', name: 'Benchmarking', rfc: 'RFC 5180', globallyReachable: false },
  { cidr: '2001:3::/32', name: 'AMT', rfc: 'RFC 7450', globallyReachable: true },
  { cidr: '2001:4:112::/48', name: 'AS112-v6', rfc: 'RFC 7535', globallyReachable: true },
  { cidr: '2001:10::/28', name: 'Deprecated (previously ORCHID)', rfc: 'RFC 4843', globallyReachable: false },
  { cidr: '2001:20::/28', name: 'ORCHIDv2', rfc: 'RFC 7343', globallyReachable: true },
  { cidr: '2001:30::/28', name: 'Drone Remote ID Protocol Entity Tags (DETs)', rfc: 'RFC 9374', globallyReachable: true },
  { cidr: '2001:db8::/32', name: 'Documentation', rfc: 'RFC 3849', globallyReachable: false },
  { cidr: '2002::/16', name: '6to4', rfc: 'RFC 3056', globallyReachable: null },
  { cidr: '2620:4f:8000::/48', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534', globallyReachable: true },
  { cidr: '3fff::/20', name: 'Documentation', rfc: 'RFC 9637', globallyReachable: false },
  { cidr: '5f00::/16', name: 'Segment Routing (SRv6) SIDs', rfc: 'RFC 9602', globallyReachable: false },
  { cidr: 'fc00::/7', name: 'Unique-Local', rfc: 'RFC 4193, RFC 8190', globallyReachable: false },
  { cidr: 'fe80::/10', name: 'Link-Local Unicast', rfc: 'RFC 4291', globallyReachable: false },
  { cidr: 'ff00::/8', name: 'Multicast', rfc: 'RFC 4291', globallyReachable: false },
];
