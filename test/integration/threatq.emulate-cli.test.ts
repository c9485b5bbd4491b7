/** `tq-entra emulate threatq` as a real process: prints URL, credentials and collections, serves, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/run-cli.ts';
import { ThreatQClient } from '../../src/threatq/threatq-client.ts';

const SEED = fileURLToPath(new URL('../fixtures/threatq/small-seed.json', import.meta.url));

function startCli(args: string[]): Promise<{ stdout: string; stop: () => Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulator did not start: ${stderr}`));
    }, 20_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('Controls:')) {
        clearTimeout(timer);
        resolve({
          stdout,
          stop: () =>
            new Promise((r) => {
              child.once('close', (code) => r(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code}): ${stderr}`));
    });
  });
}

describe('tq-entra emulate threatq', () => {
  it('serves a seed file and prints what a client needs', async () => {
    const cli = await startCli(['emulate', 'threatq', '--port', '0', '--seed', SEED]);
    try {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout)?.[1] ?? '';
      expect(url).not.toBe('');
      expect(cli.stdout).toContain('analyst@example.com / fixture-password / fixture-api-client-id');
      expect(cli.stdout).toContain('fixture-oauth-client / fixture-oauth-secret');
      expect(cli.stdout).toMatch(/fixture-all: 12\n/);
      const client = new ThreatQClient({ name: 'cli-emu', url, auth: { grant: 'password', email: 'analyst@example.com', password: 'fixture-password', clientId: 'fixture-api-client-id' }, env: {} });
      const pages = [];
      for await (const p of client.collectionPages('fixture-ips')) pages.push(p);
      expect(pages.flatMap((p) => p.data)).toHaveLength(6);
      client.close();
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('generates N indicators', async () => {
    const cli = await startCli(['emulate', 'threatq', '--port', '0', '--generate', '2500', '--id-offset', '9']);
    try {
      expect(cli.stdout).toMatch(/6d4c1f0e2b9a8c7d: 2500\n/);
      expect(cli.stdout).toMatch(/a1b2c3d4e5f6: 834\n/);
    } finally {
      await cli.stop();
    }
  });

  it('rejects bad options with exit status 2', async () => {
    const r = await runCli(['emulate', 'threatq', '--generate', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--generate must be an integer from 0 to 5000000 (got "many")');
    const missing = await runCli(['emulate', 'threatq', '--port', '0', '--seed', '/nonexistent/seed.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot load seed file /nonexistent/seed.json');
  });
});
