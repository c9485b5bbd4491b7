/**
 * Which proxy, if any, a request to `target` goes through. Pure: reads the given environment only.
 *
 * Conventions (curl / proxy-from-env, the ones operators expect):
 * - https URLs use HTTPS_PROXY (or https_proxy), http URLs use HTTP_PROXY (or http_proxy); there is no
 *   fall-back from one to the other. The lower-case name wins when both are set (curl's order).
 * - NO_PROXY (or no_proxy): comma- or space-separated; `*` disables proxying; an entry matches the host
 *   exactly or as a domain suffix (`example.com` and `.example.com` both match `a.example.com`); an entry
 *   with `:port` matches that port only; IP literals match exactly (IPv6 in brackets or bare).
 * - `disableProxies: true` (the guide's "Disable Proxies") ignores all of the above.
 * A proxy URL without a scheme is taken as `http://`. A malformed proxy URL is an error that names the
 * variable.
 */
import { ProxyConfigError } from './errors/proxy-config-error.ts';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

function envValue(env: ProxyEnv, name: string): { name: string; value: string } | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') return { name: key, value: v.trim() };
  }
  return undefined;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** True when NO_PROXY says `target` must be reached directly. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const host = stripBrackets(target.hostname.toLowerCase());
  const port = target.port || defaultPort(target.protocol);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryHost = entry;
    let entryPort: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed?.[1] !== undefined) {
      entryHost = bracketed[1];
      entryPort = bracketed[2];
    } else if ((entry.match(/:/g) ?? []).length === 1) {
      const [h, p] = entry.split(':');
      entryHost = h ?? '';
      entryPort = p;
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = entryHost.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/** The proxy URL for `target`, or undefined for a direct connection. */
export function resolveProxy(target: URL, env: ProxyEnv, disableProxies: boolean): URL | undefined {
  if (disableProxies) return undefined;
  const variable = envValue(env, target.protocol === 'https:' ? 'https_proxy' : 'http_proxy');
  if (variable === undefined) return undefined;
  if (bypassesProxy(target, envValue(env, 'no_proxy')?.value)) return undefined;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(variable.value) ? variable.value : `http://${variable.value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxyConfigError(`${variable.name} is not a valid proxy URL (expected e.g. http://proxy.example.com:3128)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProxyConfigError(`${variable.name} uses ${url.protocol} proxies, which are not supported (expected http:// or https://)`);
  }
  return url;
}
