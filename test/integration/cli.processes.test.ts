/**
 * Long-running commands behave the way `docker stop` and operators expect: each exits 0 within a
 * second or two of SIGTERM when idle, a port already in use is a clear error that exits at once with
 * status 1, and two demos beside a running worker's default port neither share state nor collide.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startCliProcess } from '../helpers/cli-process.ts';
import { runCli } from '../helpers/run-cli.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { DEFAULT_APPS, DEFAULT_TENANT_ID } from '../../src/emulators/graph/graph-emulator.ts';

let r: TestRedis;
let dir: string;

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined)); // already held by something else: just as good
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const writer = DEFAULT_APPS[0];
  const path = join(dir, `${name}.yaml`);
  const doc = {
    redis: { url: r.url, prefix: r.prefix },
    sources: [{ name: 'list', kind: 'file', path: join(dir, 'list.txt'), targets: ['corp'], schedule: { every: '1h' } }],
    targets: [
      {
        name: 'corp',
        tenantId: DEFAULT_TENANT_ID,
        clientId: writer?.clientId,
        clientSecret: writer?.clientSecret,
        cloud: { graphBaseUrl: 'https://127.0.0.1:9', authorityHost: 'https://127.0.0.1:9' },
        namedLocation: { name: 'TQ Blocked' },
        policy: { name: 'TQ Block' },
      },
    ],
    ...extra,
  };
  writeFileSync(path, stringify(doc));
  return path;
}

beforeAll(() => {
  r = testRedis('procs');
  dir = mkdtempSync(join(tmpdir(), 'tqe-procs-'));
  writeFileSync(join(dir, 'list.txt'), '198.51.100.7\n');
});
afterAll(async () => {
  await r.cleanup();
});

describe('long-running commands and SIGTERM', () => {
  it.each([
    ['scheduler --watch', (cfg: string) => ['scheduler', '--watch', '--config', cfg], 'schedulers: 1 upserted'],
    ['worker', (cfg: string) => ['worker', '--config', cfg], 'workers started'],
    ['dashboard', (cfg: string) => ['dashboard', '--config', cfg, '--port', '0'], 'dashboard: http'],
    ['emulate threatq', () => ['emulate', 'threatq', '--port', '0', '--generate', '50'], 'ThreatQ emulator listening'],
    ['emulate graph', () => ['emulate', 'graph', '--port', '0'], 'listening'],
  ])('%s exits 0 within a second or two of SIGTERM when idle (3 s allowed on a loaded CI machine)', async (name, args, ready) => {
    const cfg = writeConfig(name.replace(/\W+/g, '-'), { worker: { http: { port: 0 } } });
    const p = startCliProcess(name, args(cfg), { REDIS_URL: r.url });
    await p.waitFor(ready, 30_000);
    const stop = await p.stop('SIGTERM');
    expect(stop.code, p.output()).toBe(0);
    expect(stop.ms).toBeLessThan(3000);
  });

  it('a port in use is one clear error and exit status 1, at once (worker health port, dashboard, emulators)', async () => {
    const held = await listenOn(0);
    const port = (held?.address() as { port: number }).port;
    try {
      const cfg = writeConfig('busy', { worker: { http: { host: '127.0.0.1', port } } });
      const started = Date.now();
      const w = await runCli(['worker', '--config', cfg], { env: { REDIS_URL: r.url }, timeoutMs: 20_000 });
      expect(w.code, w.stdout + w.stderr).toBe(1);
      expect(w.stderr).toContain('ERR_OPS_LISTEN');
      expect(w.stderr).toContain(`127.0.0.1:${port}`);
      expect(w.stderr).toContain('already in use');
      const d = await runCli(['dashboard', '--config', cfg, '--port', String(port)], { env: { REDIS_URL: r.url }, timeoutMs: 20_000 });
      expect(d.code, d.stdout + d.stderr).toBe(1);
      expect(d.stderr).toContain('ERR_OPS_LISTEN');
      for (const kind of ['threatq', 'graph']) {
        const e = await runCli(['emulate', kind, '--port', String(port)], { timeoutMs: 20_000 });
        expect(e.code, e.stdout + e.stderr).toBe(1);
        expect(e.stderr).toContain(`ERR_OPS_LISTEN: cannot start the ${kind === 'graph' ? 'Graph' : 'ThreatQ'} emulator: cannot listen on 127.0.0.1:${port}`);
      }
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      held?.close();
    }
  });
});

describe('usage errors before anything is queued', () => {
  it('sync --timeout 0s is refused (exit 2) and queues nothing', async () => {
    const own = testRedis('timeout0');
    try {
      const cfg = writeConfig('timeout-zero', { redis: { url: own.url, prefix: own.prefix } });
      const x = await runCli(['sync', '--target', 'corp', '--wait', '--timeout', '0s', '--config', cfg], { env: { REDIS_URL: own.url } });
      expect(x.code, x.stdout + x.stderr).toBe(2);
      expect(x.stderr).toContain('--timeout: expected a duration such as 90s or 30m, got "0s"');
      expect(await own.client.exists(`${own.prefix}:collect:id`)).toBe(0);
    } finally {
      await own.cleanup();
    }
  });
});

describe('demo isolation', () => {
  it('two demos at once, beside servers holding the old fixed ports 9464 and 3000, both succeed', async () => {
    const holders = await Promise.all([listenOn(9464), listenOn(3000)]);
    try {
      const args = ['demo', '--once', '--indicators', '400', '--rps', '0'];
      const [a, b] = await Promise.all([
        runCli(args, { env: { LOG_LEVEL: 'warn' }, timeoutMs: 150_000 }),
        runCli(args, { env: { LOG_LEVEL: 'warn' }, timeoutMs: 150_000 }),
      ]);
      for (const x of [a, b]) {
        expect(x.code, x.stdout + x.stderr).toBe(0);
        expect(x.stdout).toMatch(/Target demo-tenant: [\d,]+ ranges desired/);
      }
      const url = (t: string) => /Dashboard: (http:\/\/[^/\s]+)/.exec(t)?.[1];
      expect(url(a.stdout)).not.toBe(url(b.stdout));
    } finally {
      for (const h of holders) h?.close();
    }
  });
});
