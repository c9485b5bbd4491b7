/**
 * Read what Entra holds now for planning: every IP named location (ranges normalised with the range
 * engine's normalizeCidr, since Graph echoes CIDRs exactly as sent; an unparsable echo is kept
 * verbatim so it is neither lost nor matched) and every conditional access policy. Two Graph reads
 * (more when Graph pages), plus the token's tenant id for the wrong-tenant guard.
 */
import type { GraphClient } from '../graph/graph-types.ts';
import { normalizeCidr } from '../ranges/index.ts';
import type { LiveState } from './plan-types.ts';

export async function readLiveState(graph: GraphClient): Promise<LiveState> {
  const locations = await graph.listNamedLocations();
  const policies = await graph.listPolicies();
  return {
    locations: locations.map(({ ipRanges, ...rest }) => ({ ...rest, ranges: ipRanges.map((r) => normalizeCidr(r) ?? r) })),
    policies,
  };
}
