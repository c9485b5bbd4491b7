/**
 * `tq-entra dashboard` bound to all interfaces says so: its log line names 0.0.0.0 (all interfaces),
 * not 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { baseTarget } from '../helpers/config-fixtures.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { BIN } from '../helpers/run-cli.ts';

let r: TestRedis;
beforeEach(() => {
  r = testRedis('cli-dashboard-listen');
});
afterEach(async () => {
  await r.cleanup();
});

describe('tq-entra dashboard --host 0.0.0.0', () => {
  it('logs the address it is bound to (all interfaces), not loopback', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tq-entra-dash-')), 'config.yaml');
    writeFileSync(file, stringify({ redis: { prefix: r.prefix }, dashboard: { username: 'ops', password: 'dash-pw-123456' }, targets: [baseTarget()] }));
    const child = spawn(process.execPath, [BIN, 'dashboard', '--config', file, '--host', '0.0.0.0', '--port', '0'], {
      env: { ...process.env, REDIS_URL: r.url, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening log line; stderr: ${stderr}`)), 30_000);
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
        const found = stderr.split('\n').find((l) => l.includes('dashboard listening'));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}; stderr: ${stderr}`)));
    });
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    await exit;
    const entry = JSON.parse(line) as { listening?: string };
    expect(entry.listening).toMatch(/^http:\/\/0\.0\.0\.0:\d+ \(all interfaces\)$/);
  }, 60_000);
});
