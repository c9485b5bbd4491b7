/**
 * Redis outages, with real processes (issue 13, finding 5):
 *
 * - one-shot commands (`sync --wait`, `report`, one-shot `scheduler`) against a URL where nothing
 *   listens fail within TQ_ENTRA_REDIS_TIMEOUT (+ start-up) with one ERR_REDIS_UNAVAILABLE line,
 *   no stack trace, no password;
 * - a worker whose private Redis is stopped and started again logs one "unreachable" and one
 *   "reachable again" line, never "Unhandled error event", and exits 0 on SIGTERM while Redis is down;
 * - the dashboard's JSON API answers 503 within 2 s while Redis is down.
 *
 * The shared Redis is never touched: outages use a redis-server of the test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startOwnRedisServer, type OwnRedisServer } from '../helpers/own-redis-server.ts';
import { BIN, runCli } from '../helpers/run-cli.ts';

const PASSWORD = 'outage-pw-4f1c9e';
/** Nothing listens on port 1. */
const DEAD_URL = `redis://:${PASSWORD}@127.0.0.1:1`;
const TIMEOUT_MS = 3000;
/** Node start-up and module loading on a busy CI machine, on top of the Redis timeout. */
const STARTUP_ALLOWANCE_MS = 12_000;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tqe-outage-'));
  writeFileSync(join(dir, 'list.txt'), '198.51.100.7\n203.0.113.0/24\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, redisUrl: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      redis: { url: redisUrl, prefix: `tqe-outage-${name}` },
      sources: [{ name: 'f', kind: 'file', path: join(dir, 'list.txt'), targets: ['t1'] }],
      targets: [
        {
          name: 't1',
          tenantId: '11111111-1111-1111-1111-111111111111',
          clientId: '22222222-2222-2222-2222-222222222222',
          clientSecret: 'test-client-secret-value',
          namedLocation: { name: 'TQ Blocked' },
          policy: { name: 'TQ Block' },
        },
      ],
      ...extra,
    }),
  );
  return path;
}

function expectOneCleanLine(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const errLines = lines.filter((l) => l.includes('ERR_REDIS_UNAVAILABLE'));
  expect(errLines, stderr).toHaveLength(1);
  expect(errLines[0]).toContain('redis://127.0.0.1:1');
  expect(errLines[0]).toMatch(/check that Redis is running/);
  expect(stderr).not.toContain(PASSWORD);
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(stderr).not.toContain('ECONNREFUSED 127.0.0.1:1\n');
  expect(stderr).not.toContain('Unhandled error event');
  expect(lines.length, stderr).toBeLessThanOrEqual(2);
}

describe('one-shot commands with Redis down', () => {
  const cases: [string, string[]][] = [
    ['sync --wait', ['sync', '--target', 't1', '--wait']],
    ['report', ['report']],
    ['scheduler (one-shot)', ['scheduler']],
  ];
  for (const [label, args] of cases) {
    it(`${label} fails within the bound with one ERR_REDIS_UNAVAILABLE line`, async () => {
      const config = writeConfig('dead', DEAD_URL);
      const started = Date.now();
      const r = await runCli([...args, '--config', config], {
        // REDIS_URL wins over redis.url: point it at the dead URL too.
        env: { TQ_ENTRA_REDIS_TIMEOUT: `${TIMEOUT_MS}ms`, REDIS_URL: DEAD_URL },
        timeoutMs: TIMEOUT_MS + STARTUP_ALLOWANCE_MS + 5000,
      });
      const elapsed = Date.now() - started;
      expect(r.code, r.stderr).toBe(1);
      expectOneCleanLine(r.stderr);
      expect(r.stderr).toContain(`waited ${TIMEOUT_MS / 1000} s`);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + STARTUP_ALLOWANCE_MS);
      process.stderr.write(`[outage] ${label}: exit ${String(r.code)} after ${elapsed} ms (Redis timeout ${TIMEOUT_MS} ms)\n`);
    }, 40_000);
  }
});

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number, from?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
}

function start(args: string[], redisUrl: string): Proc {
  const env = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', REDIS_URL: redisUrl };
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    poke();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    poke();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000, from = 'stderr') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(from === 'stderr' ? err : out);
          if (!m) return;
          cleanup();
          resolve(m);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

describe('long-running processes through a Redis outage', () => {
  let server: OwnRedisServer;
  let proc: Proc | undefined;
  let restarting: Promise<void> | undefined;

  beforeAll(async () => {
    server = await startOwnRedisServer();
  }, 20_000);

  afterEach(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    proc = undefined;
    await restarting;
    restarting = undefined;
  });

  afterAll(async () => {
    await server.stop();
  });

  it('a worker logs one down and one up line, no unhandled error events, and exits 0 on SIGTERM while Redis is down', async () => {
    const config = writeConfig('worker', server.url, { worker: { http: { port: 0 } } });
    proc = start(['worker', '--config', config], server.url);
    await proc.waitFor(/"message":"workers started"/);

    // Outage 1: down, then up again.
    await server.restart(1500);
    await proc.waitFor(/Redis reachable again/, 20_000);
    const afterFirst = proc.stderr();
    expect(count(afterFirst, /Redis unreachable/), afterFirst).toBe(1);
    expect(count(afterFirst, /Redis reachable again/), afterFirst).toBe(1);

    // Outage 2: SIGTERM while Redis is still down.
    restarting = server.restart(30_000);
    await proc.waitFor(/Redis unreachable[\s\S]*Redis reachable again[\s\S]*Redis unreachable/, 20_000);
    const signalled = Date.now();
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    const stopMs = Date.now() - signalled;
    const all = proc.stderr();
    expect(code, all).toBe(0);
    expect(stopMs).toBeLessThan(10_000);
    expect(all).not.toContain('Unhandled error event');
    expect(all).not.toMatch(/^\s+at /m);
    expect(all).not.toMatch(/"message":"worker error"/);
    expect(count(all, /Redis unreachable/), all).toBe(2);
    expect(count(all, /Redis reachable again/), all).toBe(1);
    expect(all.split('\n').filter(Boolean).length, all).toBeLessThan(20);
    process.stderr.write(`[outage] worker: SIGTERM while Redis down → exit ${String(code)} in ${stopMs} ms\n`);
  }, 90_000);

  it('the dashboard API answers 503 within 2 s while Redis is down, and 200 again once it is back', async () => {
    const config = writeConfig('dash', server.url);
    proc = start(['dashboard', '--config', config, '--port', '0'], server.url);
    const m = await proc.waitFor(/dashboard: (http:\/\/\S+)\/queues/, 20_000, 'stdout');
    const base = m[1] ?? '';
    const api = `${base}/queues/api/queues?activeQueue=collect&page=1&jobsPerPage=10`;
    expect((await fetch(api)).status).toBe(200);

    restarting = server.restart(6000);
    await proc.waitFor(/Redis unreachable/, 10_000);
    for (const path of [api, `${base}/queues/api/queues`, `${base}/metrics`]) {
      const t = Date.now();
      const res = await fetch(path, { signal: AbortSignal.timeout(5000) });
      const ms = Date.now() - t;
      expect(res.status, path).toBe(503);
      expect(ms, path).toBeLessThan(2000);
      const body = await res.text();
      expect(body).toContain('redis://127.0.0.1:');
      process.stderr.write(`[outage] dashboard ${new URL(path).pathname}: ${res.status} in ${ms} ms\n`);
    }
    await restarting;
    restarting = undefined;
    await proc.waitFor(/Redis reachable again/, 20_000);
    expect((await fetch(api)).status).toBe(200);
    expect(proc.stderr()).not.toContain('Unhandled error event');
  }, 60_000);
});
