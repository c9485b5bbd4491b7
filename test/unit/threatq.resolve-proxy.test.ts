import { describe, expect, it } from 'vitest';
import { bypassesProxy, resolveProxy } from '../../src/threatq/resolve-proxy.ts';

const u = (s: string) => new URL(s);

describe('resolveProxy', () => {
  it('uses HTTPS_PROXY for https and HTTP_PROXY for http, without cross fall-back', () => {
    const env = { HTTPS_PROXY: 'http://sproxy:3128', HTTP_PROXY: 'http://hproxy:8080' };
    expect(resolveProxy(u('https://tq.example.com'), env, false)?.host).toBe('sproxy:3128');
    expect(resolveProxy(u('http://tq.example.com'), env, false)?.host).toBe('hproxy:8080');
    expect(resolveProxy(u('https://tq.example.com'), { HTTP_PROXY: 'http://hproxy:8080' }, false)).toBeUndefined();
  });
  it('prefers the lower-case variable and adds http:// when the scheme is missing', () => {
    expect(resolveProxy(u('https://a.b'), { https_proxy: 'low:1', HTTPS_PROXY: 'http://up:2' }, false)?.href).toBe('http://low:1/');
  });
  it('ignores everything when disableProxies is set', () => {
    expect(resolveProxy(u('https://a.b'), { HTTPS_PROXY: 'http://p:1' }, true)).toBeUndefined();
  });
  it('honours NO_PROXY', () => {
    expect(resolveProxy(u('https://tq.corp.example'), { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'corp.example' }, false)).toBeUndefined();
  });
  it('names the variable when the proxy URL is malformed or unsupported', () => {
    expect(() => resolveProxy(u('https://a.b'), { HTTPS_PROXY: 'http://exa mple:99999' }, false)).toThrow(/HTTPS_PROXY is not a valid proxy URL/);
    expect(() => resolveProxy(u('https://a.b'), { HTTPS_PROXY: 'socks5://p:1080' }, false)).toThrow(/HTTPS_PROXY uses socks5: proxies/);
  });
});

describe('bypassesProxy', () => {
  it('matches hosts, domain suffixes, wildcards, ports and IPs', () => {
    expect(bypassesProxy(u('https://a.example.com'), 'example.com')).toBe(true);
    expect(bypassesProxy(u('https://a.example.com'), '.example.com')).toBe(true);
    expect(bypassesProxy(u('https://a.example.com'), '*.example.com')).toBe(true);
    expect(bypassesProxy(u('https://badexample.com'), 'example.com')).toBe(false);
    expect(bypassesProxy(u('https://x.y'), '*')).toBe(true);
    expect(bypassesProxy(u('https://x.y:8443'), 'x.y:8443')).toBe(true);
    expect(bypassesProxy(u('https://x.y'), 'x.y:8443')).toBe(false);
    expect(bypassesProxy(u('https://x.y'), 'x.y:443')).toBe(true);
    expect(bypassesProxy(u('http://127.0.0.1:9000'), 'localhost, 127.0.0.1')).toBe(true);
    expect(bypassesProxy(u('http://[::1]:9000'), '::1')).toBe(true);
    expect(bypassesProxy(u('http://[::1]:9000'), '[::1]:9000')).toBe(true);
    expect(bypassesProxy(u('https://x.y'), '')).toBe(false);
    expect(bypassesProxy(u('https://x.y'), undefined)).toBe(false);
  });
});
