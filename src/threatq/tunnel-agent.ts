/**
 * HTTP agents that reach the target through a proxy with an HTTP `CONNECT` tunnel (got has no proxy
 * support of its own). Used for https targets (TLS is negotiated end to end inside the tunnel, with the
 * request's CA / verify settings) and, for simplicity, for plain-http targets too (a raw tunnel).
 * Proxy credentials in the proxy URL (`http://user:pass@proxy:3128`) are sent as Basic
 * `Proxy-Authorization`. A CONNECT answered with anything but 2xx fails the request with code
 * `ERR_PROXY_CONNECT` and the proxy's status in `proxyStatus`.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { ProxyConnectError } from './errors/proxy-connect-error.ts';

type Callback = (err: Error | null, stream: Duplex) => void;

interface ConnectTarget {
  host: string;
  port: number;
}

function openTunnel(proxy: URL, target: ConnectTarget, timeoutMs: number, done: (err: Error | null, socket?: net.Socket) => void): void {
  const authority = net.isIPv6(target.host) ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.username !== '') {
    const user = decodeURIComponent(proxy.username);
    const pass = decodeURIComponent(proxy.password);
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const request = (proxy.protocol === 'https:' ? https : http).request({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
    timeout: timeoutMs,
  });
  let settled = false;
  const finish = (err: Error | null, socket?: net.Socket) => {
    if (settled) return;
    settled = true;
    done(err, socket);
  };
  request.once('connect', (res, socket) => {
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
      finish(null, socket);
    } else {
      socket.destroy();
      finish(new ProxyConnectError(res.statusCode, `proxy ${proxy.host} refused CONNECT ${authority} with HTTP ${res.statusCode}`));
    }
  });
  request.once('timeout', () => {
    request.destroy();
    const e = new Error(`proxy ${proxy.host} did not answer CONNECT ${authority} in time`) as Error & { code: string };
    e.code = 'ETIMEDOUT';
    finish(e);
  });
  request.once('error', (e) => finish(e));
  request.end();
}

function targetOf(options: http.ClientRequestArgs, fallbackPort: number): ConnectTarget {
  const host = String(options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
  return { host, port: Number(options.port ?? fallbackPort) };
}

/** Agent for https targets: CONNECT, then TLS inside the tunnel. */
export class HttpsTunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: https.AgentOptions = {},
  ) {
    super({ keepAlive: true, ...options });
  }

  override createConnection(options: https.RequestOptions, callback?: Callback): Duplex | null | undefined {
    const target = targetOf(options, 443);
    openTunnel(this.proxy, target, Number(options.timeout ?? 30_000), (err, socket) => {
      if (err || !socket) {
        callback?.(err ?? new Error('proxy tunnel failed'), undefined as unknown as Duplex);
        return;
      }
      const servername = options.servername ?? (net.isIP(target.host) ? undefined : target.host);
      const secure = tls.connect({
        socket,
        servername,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: options.rejectUnauthorized ?? true,
        ALPNProtocols: ['http/1.1'],
      });
      callback?.(null, secure);
    });
    return undefined;
  }
}

/** Agent for plain-http targets: a raw CONNECT tunnel. */
export class HttpTunnelAgent extends http.Agent {
  constructor(
    private readonly proxy: URL,
    options: http.AgentOptions = {},
  ) {
    super({ keepAlive: true, ...options });
  }

  override createConnection(options: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined {
    openTunnel(this.proxy, targetOf(options, 80), Number(options.timeout ?? 30_000), (err, socket) => {
      if (err || !socket) callback?.(err ?? new Error('proxy tunnel failed'), undefined as unknown as Duplex);
      else callback?.(null, socket);
    });
    return undefined;
  }
}
