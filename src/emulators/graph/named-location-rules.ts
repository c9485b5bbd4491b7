/**
 * Validation of named-location writes, rules NL1–NL10 of graph-api.md §9.2. Every violation is a
 * 400 `BadRequest`. NL1 carries Microsoft's confirmed 1042 text; the other texts are unknown and are
 * placeholders starting with `EMULATOR:` (tests and clients must not depend on them).
 * Not enforced, as on Graph: duplicate names, host bits set (echoed verbatim); duplicate ranges only
 * with `rejectDuplicateRanges`.
 */
import { cidrsOverlap, parseCidr, type ParsedCidr } from '../../ranges/index.ts';
import { badRequest, type EmulatorResponse } from './emulator-http.ts';
import type { GraphEmulatorConfig } from './emulator-options.ts';
import type { Json } from './tenant-store.ts';

export const IP_TYPE = '#microsoft.graph.ipNamedLocation';
export const COUNTRY_TYPE = '#microsoft.graph.countryNamedLocation';
const V4 = '#microsoft.graph.iPv4CidrRange';
const V6 = '#microsoft.graph.iPv6CidrRange';

export const NL1_TEXT =
  '1042: Unexpected type: namedLocationType for NamedLocations. Supported types are IpNamedLocation, CountryNamedLocation, ' +
  'PrivateLinkNamedLocation and CompliantNetworkNamedLocation. For examples, please see API documentation at ' +
  'https://docs.microsoft.com/en-us/graph/api/?view=graph-rest-1.0.';

/** NL10: private, loopback, link-local, shared, documentation, benchmarking, multicast and reserved space. */
const RESERVED = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', '100::/64', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'ff00::/8',
].map((c) => parseCidr(c) as ParsedCidr);

const rule = (id: string, text: string): EmulatorResponse => badRequest(`EMULATOR: ${id}: ${text}`);

function checkRanges(ranges: unknown, cfg: GraphEmulatorConfig): EmulatorResponse | undefined {
  if (!Array.isArray(ranges) || ranges.length === 0) return rule('NL2', 'ipRanges must be a non-empty array');
  if (ranges.length > cfg.maxRanges) return rule('NL6', `a named location holds at most ${cfg.maxRanges} ipRanges, got ${ranges.length}`);
  const seen = new Set<string>();
  for (const r of ranges as unknown[]) {
    const item = r as Json | null;
    const type = item && typeof item === 'object' ? item['@odata.type'] : undefined;
    if (type !== V4 && type !== V6) return rule('NL3', `ipRange @odata.type must be ${V4} or ${V6}, got ${JSON.stringify(type ?? null)}`);
    const text = item?.['cidrAddress'];
    if (typeof text !== 'string') return rule('NL4', 'ipRange cidrAddress must be a string');
    const parsed = parseCidr(text);
    if (!parsed) return rule('NL4', `cidrAddress "${text}" is not a valid CIDR (address/prefix)`);
    if ((parsed.family === 4) !== (type === V4)) return rule('NL3', `cidrAddress "${text}" does not match ${type}`);
    if (parsed.prefix < cfg.minPrefix) return rule('NL5', `cidrAddress "${text}": only prefixes of /${cfg.minPrefix} or longer are allowed`);
    if (cfg.strictPublic && RESERVED.some((res) => cidrsOverlap(res, parsed))) {
      return rule('NL10', `cidrAddress "${text}" is a private or reserved range`);
    }
    if (cfg.rejectDuplicateRanges) {
      const key = text.toLowerCase();
      if (seen.has(key)) return rule('NL6', `duplicate cidrAddress "${text}"`);
      seen.add(key);
    }
  }
  return undefined;
}

/**
 * Check a POST (`existing` undefined) or PATCH body. For a PATCH the type must match the stored
 * object's; only properties present are checked.
 */
export function checkNamedLocationWrite(body: unknown, cfg: GraphEmulatorConfig, existing?: Json): EmulatorResponse | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return rule('NL2', 'the body must be a JSON object');
  const b = body as Json;
  const type = b['@odata.type'];
  if (type !== IP_TYPE && type !== COUNTRY_TYPE) return badRequest(NL1_TEXT);
  if (existing && existing['@odata.type'] !== type) return badRequest(NL1_TEXT);
  const creating = existing === undefined;
  if (creating || 'displayName' in b) {
    if (typeof b['displayName'] !== 'string' || b['displayName'].trim() === '') return rule('NL2', 'displayName is required');
  }
  if ('isTrusted' in b && typeof b['isTrusted'] !== 'boolean') return rule('NL2', 'isTrusted must be a boolean');
  if (type === COUNTRY_TYPE) {
    if (creating || 'countriesAndRegions' in b) {
      const c = b['countriesAndRegions'];
      if (!Array.isArray(c) || c.some((x) => typeof x !== 'string')) return rule('NL2', 'countriesAndRegions must be an array of strings');
    }
    return undefined;
  }
  if (creating || 'ipRanges' in b) return checkRanges(b['ipRanges'], cfg);
  return undefined;
}

/**
 * NL8 and NL9: may this location be deleted? The caller evaluates both on replicated state
 * (replication.ts): `location.isTrusted` is true when the latest or the replicated state is trusted,
 * `policies` holds the policies that name it in their latest or replicated state.
 */
export function checkNamedLocationDelete(location: Json, policies: readonly Json[], cfg: GraphEmulatorConfig): EmulatorResponse | undefined {
  if (location['isTrusted'] === true) {
    return rule('NL8', 'a named location marked as trusted cannot be deleted; set isTrusted to false first');
  }
  if (cfg.rejectReferencedDelete) {
    const id = String(location['id']).toLowerCase();
    const user = policies.find((p) => {
      const loc = (p['conditions'] as Json | undefined)?.['locations'] as Json | null | undefined;
      const ids = [...((loc?.['includeLocations'] as unknown[]) ?? []), ...((loc?.['excludeLocations'] as unknown[]) ?? [])];
      return ids.some((x) => typeof x === 'string' && x.toLowerCase() === id);
    });
    if (user) return rule('NL9', `named location ${String(location['id'])} is used by conditional access policy ${String(user['id'])}`);
  }
  return undefined;
}
