/**
 * Start and stop the service's own HTTP servers (dashboard, worker health, emulators). `listenHttp` resolves with the base URL once bound (port 0
 * picks a free port; a wildcard bind address is given as loopback so the URL can be opened from this
 * host) or rejects with ListenError naming the address and the reason. `listenText` says honestly
 * where a server listens, for logs and banners: `http://0.0.0.0:3000 (all interfaces)` for a wildcard
 * bind, the URL otherwise. `closeHttp` stops accepting, ends idle keep-alive connections at once and
 * open ones after a grace period.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListenError } from './errors/listen-error.ts';

const WILDCARD = new Map([
  ['0.0.0.0', '127.0.0.1'],
  ['::', '::1'],
]);

export function httpUrl(host: string, port: number): string {
  const shown = WILDCARD.get(host) ?? host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** Where a server bound to `host`:`port` listens, as it should be logged (wildcards named as such). */
export function listenText(host: string, port: number): string {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return WILDCARD.has(host) ? `${url} (all interfaces)` : url;
}

/** A bind failure as ListenError (`what` prefixes the message), or undefined when `e` is not one. */
export function listenFailure(e: unknown, host: string, port: number | string, what = ''): ListenError | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return undefined;
  const why = code === 'EADDRINUSE' ? 'the address is already in use' : 'permission denied';
  return new ListenError(`${what}cannot listen on ${host}:${port}: ${why}`, { cause: e, details: { host, port, errno: code } });
}

export function listenHttp(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenFailure(e, host, port) ?? new ListenError(`cannot listen on ${host}:${port}: ${e.message}`, { cause: e, details: { host, port, errno: e.code } }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(httpUrl(host, (server.address() as AddressInfo).port));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function closeHttp(server: Server, graceMs = 2000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
