/** `tq-entra emulate graph`: the real binary starts the emulator, prints what a user needs, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import got from 'got';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run-cli.ts';

describe('tq-entra emulate graph', () => {
  it('prints the URLs, CA file and app credentials, serves HTTPS, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'emulate', 'graph', '--port', '0', '--rps', '5', '--replication-delay', '100'], {
      env: { ...process.env, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no summary in time; got: ${out}`)), 20_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('Controls:')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const base = /Graph base URL:\s+(\S+)/.exec(out)?.[1] ?? '';
      const caFile = /CA file:\s+(\S+)/.exec(out)?.[1] ?? '';
      expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(out).toMatch(/Authority host:\s+https:\/\/127\.0\.0\.1:\d+/);
      expect(out).toContain('5 req/s per tenant');
      expect(out).toContain('emulator-writer-secret');
      expect(out).toContain('Policy.ReadWrite.ConditionalAccess');
      expect(existsSync(caFile)).toBe(true);
      const tenant = /tenantId: (\S+)/.exec(out)?.[1] ?? '';
      const doc = await got(`${base}/${tenant}/v2.0/.well-known/openid-configuration`, {
        https: { certificateAuthority: readFileSync(caFile, 'utf8') },
      }).json<{ token_endpoint: string }>();
      expect(doc.token_endpoint).toBe(`${base}/${tenant}/oauth2/v2.0/token`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a bad option with exit status 2', async () => {
    const child = spawn(process.execPath, [BIN, 'emulate', 'graph', '--rps', 'fast'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--rps must be a number');
  });
});
