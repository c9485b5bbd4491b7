/**
 * Microsoft's Graph hosts: the global cloud and the national clouds. Conditional access and named
 * locations there are limited to 1 request per second per tenant, across all apps; a faster pace
 * against them needs an explicit opt-in (`rateLimit.allowAboveMicrosoftLimit`, checked by the schema
 * and again by the Graph client). Any other host (the emulator, a proxy stand-in) is not limited here.
 */

const MICROSOFT_GRAPH_HOSTS = /^(graph\.microsoft\.com|graph\.microsoft\.us|dod-graph\.microsoft\.us|microsoftgraph\.chinacloudapi\.cn|graph\.microsoft\.de)$/i;

/** The host of `graphBaseUrl` when it is one of Microsoft's Graph hosts; undefined otherwise (or when it is no URL). */
export function microsoftGraphHost(graphBaseUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(graphBaseUrl).hostname;
  } catch {
    return undefined;
  }
  return MICROSOFT_GRAPH_HOSTS.test(host) ? host : undefined;
}

/** The pacing settings the rule reads. */
export interface PaceSettings {
  cloud: { graphBaseUrl: string };
  rateLimit: { requestsPerSecond: number; allowAboveMicrosoftLimit: boolean };
}

/**
 * The one rule: the Microsoft host a target would pace above 1 request/s without the opt-in, or
 * undefined when its pace is allowed (at most 1/s, opted in, or not a Microsoft host).
 */
export function paceAboveMicrosoftLimit(target: PaceSettings): string | undefined {
  const { requestsPerSecond, allowAboveMicrosoftLimit } = target.rateLimit;
  if (requestsPerSecond <= 1 || allowAboveMicrosoftLimit) return undefined;
  return microsoftGraphHost(target.cloud.graphBaseUrl);
}
