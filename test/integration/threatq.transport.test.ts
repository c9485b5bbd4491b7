/** TLS verification and proxies (CONNECT tunnels) between the ThreatQ client and an HTTPS emulator. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { drain, expectedIds, makeClient, makeSource } from '../fixtures/threatq/helpers.ts';

const ID = 'a1b2c3d4e5f6';
const TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'];

interface TestProxy {
  url: string;
  connects: string[];
  auth: (string | undefined)[];
  close: () => Promise<void>;
}

/** A minimal CONNECT proxy; with `credentials` it answers 407 unless Proxy-Authorization matches. */
async function startProxy(credentials?: string): Promise<TestProxy> {
  const connects: string[] = [];
  const auth: (string | undefined)[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    connects.push(req.url ?? '');
    auth.push(req.headers['proxy-authorization']);
    if (credentials !== undefined && req.headers['proxy-authorization'] !== `Basic ${Buffer.from(credentials).toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    auth,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('ThreatQ transport', () => {
  let emu: ThreatQEmulator;
  let plain: ThreatQEmulator;
  let caFile: string;
  let proxy: TestProxy;
  let authProxy: TestProxy;

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'threatq-emulator-test' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    caFile = join(mkdtempSync(join(tmpdir(), 'tq-tls-')), 'ca.pem');
    writeFileSync(caFile, pems.cert);
    emu = await startThreatQEmulator({ generate: { count: 600 }, tls: { key: pems.private, cert: pems.cert } });
    plain = await startThreatQEmulator({ generate: { count: 600 } });
    proxy = await startProxy();
    authProxy = await startProxy('proxyuser:proxy-pass-word');
  });
  afterAll(async () => {
    await Promise.all([emu.close(), plain.close(), proxy.close(), authProxy.close()]);
  });

  it('verifies the server against tls.caFile', async () => {
    expect(emu.url.startsWith('https://')).toBe(true);
    const client = makeClient(emu, { tls: { verify: true, caFile } });
    try {
      const { indicators } = await drain(makeSource(client, emu, { id: ID }));
      expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
    } finally {
      client.close();
    }
  });

  it('refuses an untrusted certificate with ERR_THREATQ_TLS, without retrying', async () => {
    emu.clearRequests();
    const client = makeClient(emu);
    try {
      const err = await drain(makeSource(client, emu, { id: ID })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_TLS', retryable: false });
      expect((err as Error).message).toMatch(/ThreatQ instance tq-test: the server certificate could not be verified \(\w+\).*Set tls\.caFile/);
      expect(emu.requests()).toHaveLength(0);
    } finally {
      client.close();
    }
  });

  it('accepts any certificate with tls.verify: false', async () => {
    const client = makeClient(emu, { tls: { verify: false } });
    try {
      expect((await drain(makeSource(client, emu, { id: ID }))).indicators.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it('names an unreadable tls.caFile at construction', () => {
    expect(() => makeClient(emu, { tls: { caFile: '/nonexistent/ca.pem' } })).toThrow(/ThreatQ instance tq-test: tls\.caFile \/nonexistent\/ca\.pem cannot be read/);
  });

  it('tunnels https through HTTPS_PROXY with TLS verified end to end', async () => {
    const before = proxy.connects.length;
    const client = makeClient(emu, { tls: { caFile }, env: { HTTPS_PROXY: proxy.url } });
    try {
      const { indicators } = await drain(makeSource(client, emu, { id: ID }));
      expect(indicators.map((i) => i.id).sort()).toEqual(expectedIds(emu, ID, TYPES, ['Active']));
      expect(proxy.connects.slice(before)).toContain(`127.0.0.1:${emu.port}`);
    } finally {
      client.close();
    }
  });

  it('tunnels plain http through HTTP_PROXY', async () => {
    const before = proxy.connects.length;
    const client = makeClient(plain, { env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: 'http://127.0.0.1:1' } });
    try {
      expect((await drain(makeSource(client, plain, { id: ID }))).indicators.length).toBeGreaterThan(0);
      expect(proxy.connects.slice(before)).toContain(`127.0.0.1:${plain.port}`);
    } finally {
      client.close();
    }
  });

  it('goes direct for NO_PROXY hosts and with disableProxies', async () => {
    const before = proxy.connects.length;
    const a = makeClient(plain, { env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
    const b = makeClient(plain, { env: { HTTP_PROXY: proxy.url }, disableProxies: true });
    try {
      await drain(makeSource(a, plain, { id: ID }));
      await drain(makeSource(b, plain, { id: ID }));
      expect(proxy.connects.length).toBe(before);
    } finally {
      a.close();
      b.close();
    }
  });

  it('sends proxy credentials from the proxy URL; a 407 fails at once without leaking them', async () => {
    const withCreds = authProxy.url.replace('http://', 'http://proxyuser:proxy-pass-word@');
    const good = makeClient(plain, { env: { HTTP_PROXY: withCreds } });
    const bad = makeClient(plain, { env: { HTTP_PROXY: authProxy.url.replace('http://', 'http://proxyuser:wrong-proxy-pass@') } });
    try {
      expect((await drain(makeSource(good, plain, { id: ID }))).indicators.length).toBeGreaterThan(0);
      const attempts = authProxy.connects.length;
      const err = await drain(makeSource(bad, plain, { id: ID })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_THREATQ_HTTP' });
      expect((err as Error).message).toContain('refused CONNECT');
      expect((err as Error).message).toContain('Check HTTPS_PROXY / HTTP_PROXY');
      expect((err as Error).message).not.toContain('wrong-proxy-pass');
      expect(authProxy.connects.length).toBe(attempts + 1);
    } finally {
      good.close();
      bad.close();
    }
  });
});
