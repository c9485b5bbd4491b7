import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeHttp, listenHttp, listenText } from '../../src/http/http-listen.ts';

describe('listenText', () => {
  it('names a wildcard bind as all interfaces instead of passing it off as loopback', () => {
    expect(listenText('0.0.0.0', 3000)).toBe('http://0.0.0.0:3000 (all interfaces)');
    expect(listenText('::', 3000)).toBe('http://[::]:3000 (all interfaces)');
    expect(listenText('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000');
    expect(listenText('10.1.2.3', 9464)).toBe('http://10.1.2.3:9464');
  });

  it('listenHttp on 0.0.0.0 still resolves with a URL this host can open', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const url = await listenHttp(server, '0.0.0.0', 0);
    try {
      const port = (server.address() as AddressInfo).port;
      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(await (await fetch(url)).text()).toBe('ok');
      expect(listenText('0.0.0.0', port)).toContain(`0.0.0.0:${port} (all interfaces)`);
    } finally {
      await closeHttp(server);
    }
  });
});
