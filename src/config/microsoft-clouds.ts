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
