/**
 * The dashboard over real HTTP with a real Redis: bull-board page and API, /metrics after recording
 * through the metrics store, the probes (including Redis unreachable), basic auth, the status pages
 * (their browser test: dashboard.status-page.test.ts), and the `tq-entra dashboard` command itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startDashboard, type DashboardHandle } from '../../src/dashboard/dashboard-server.ts';
import { recordIndicators, recordRun, recordTargetState } from '../../src/observability/metrics-store.ts';
import { UsageError } from '../../src/errors/sync-error.ts';
import { createGraphPacer } from '../../src/graph/graph-pacer.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { writeTargetStatus } from '../../src/state/target-status-store.ts';
import { captureLogs } from '../../src/observability/logger.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';
import { BIN, runCli } from '../helpers/run-cli.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { parseExposition, sampleValue } from '../helpers/prom-parse.ts';

let r: TestRedis;
const open: DashboardHandle[] = [];

function config(extra: Record<string, unknown> = {}, url?: string) {
  return configFrom({ redis: { url: url ?? r.url, prefix: r.prefix }, targets: [baseTarget()], ...extra });
}

async function start(extra: Record<string, unknown> = {}, url?: string): Promise<DashboardHandle> {
  const d = await startDashboard(config(extra, url), { port: 0 });
  open.push(d);
  return d;
}

function basic(user: string, pass: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}

beforeEach(() => {
  r = testRedis('ops-dashboard');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
  await r.cleanup();
});

describe('dashboard', () => {
  it('serves bull-board at /queues (/ redirects there) and its API lists the five queues', async () => {
    const d = await start();
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const root = await fetch(`${d.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/queues');
    const page = await fetch(`${d.url}/queues`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<base href="/queues/"');
    const api = await fetch(`${d.url}/queues/api/queues`);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; type: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['collect', 'ingest', 'notify', 'reconcile', 'writeback']);
    expect(body.queues.every((q) => q.type === 'bullmq')).toBe(true);
  });

  it('/metrics holds the recorded service series and the BullMQ lines', async () => {
    await recordIndicators(r.client, r.prefix, { source: 'tq', collection: 'c1', accepted: 42, rejectedByReason: { ERR_RANGE_RESERVED: 3 } });
    await recordRun(r.client, r.prefix, { kind: 'reconcile', outcome: 'succeeded', durationMs: 2500 });
    await recordTargetState(r.client, r.prefix, {
      target: 't1',
      maxLocations: 10,
      maxRangesPerLocation: 2000,
      locations: [{ name: 'TQ Blocked', ranges: 42 }],
      lastSuccessAt: new Date().toISOString(),
    });
    const d = await start();
    const res = await fetch(`${d.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseExposition(await res.text());
    expect(m.duplicateTypes).toEqual([]);
    expect(sampleValue(m, 'tq_entra_indicators_total', { source: 'tq', collection: 'c1', outcome: 'accepted', reason: '' })).toBe(42);
    expect(sampleValue(m, 'tq_entra_runs_total', { kind: 'reconcile', outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(m, 'tq_entra_location_ranges', { target: 't1', location: 'TQ Blocked' })).toBe(42);
    expect(sampleValue(m, 'tq_entra_target_locations_max', { target: 't1' })).toBe(10);
    expect(sampleValue(m, 'bullmq_job_count', { queue: 'reconcile', state: 'waiting' })).toBe(0);
    for (const family of ['tq_entra_graph_requests_total', 'tq_entra_graph_throttle_delays_total', 'tq_entra_graph_throttle_delay_seconds_total', 'tq_entra_run_duration_seconds']) {
      expect(m.types.has(family)).toBe(true);
    }
  });

  it('/healthz and /readyz answer 200 while Redis answers', async () => {
    const d = await start();
    const h = await fetch(`${d.url}/healthz`);
    expect([h.status, await h.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${d.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('/readyz is 503 with a reason when Redis is unreachable; /healthz stays 200; /metrics 503', async () => {
    const d = await start({}, 'redis://127.0.0.1:1');
    const started = Date.now();
    const ready = await fetch(`${d.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; reason: string };
    expect(body.status).toBe('unavailable');
    expect(body.reason).toMatch(/Redis/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${d.url}/metrics`);
    expect(metrics.status).toBe(503);
    expect(await metrics.text()).toMatch(/^metrics unavailable: /);
  });

  it('status pages: before any reconcile, with a recorded state and a 429 pause, an unknown target, Redis down', async () => {
    const cfg = config({ targets: [baseTarget(), baseTarget({ name: 'a/b c' })] });
    const d = await startDashboard(cfg, { port: 0 });
    open.push(d);
    const before = await fetch(`${d.url}/status/targets/t1`);
    expect(before.status).toBe(200);
    expect(before.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(before.headers.get('cache-control')).toBe('no-store');
    const beforeText = await before.text();
    expect(beforeText).toContain('not recorded yet: no reconcile has been applied');
    expect(beforeText).toContain('no reconcile yet.');
    expect(beforeText).toContain('No 429 pause for tenant 11111111-1111-1111-1111-111111111111');

    const keys = stateKeys(r.prefix);
    const tid = '33333333-3333-3333-3333-333333333333';
    await writeTargetStatus(r.client, keys, 'a/b c', {
      recordedAt: '2026-11-30T09:00:00.000Z',
      tenantId: tid,
      policy: { displayName: 'TQ Block a/b c', state: 'disabled' },
      locations: [{ displayName: 'TQ Blocked a/b c', ranges: ['198.51.100.7/32'] }],
    });
    const pacer = createGraphPacer(r.client, r.prefix, tid, 1);
    await pacer.recordThrottle(30_000);
    await pacer.recordThrottle(30_000);
    const after = await (await fetch(`${d.url}/status/targets/${encodeURIComponent('a/b c')}`)).text();
    expect(after).toContain('<strong class="policy-state">disabled</strong>');
    expect(after).toContain('<li>198.51.100.7/32</li>');
    expect(after).toMatch(new RegExp(`Graph paused for tenant ${tid}: no request for (29|30)\\.\\d s \\(429s in a row: 2\\)`));
    const index = await (await fetch(`${d.url}/status`)).text();
    expect(index).toContain('href="/status/targets/a%2Fb%20c"');
    expect(index).toContain('<td>disabled</td>');

    const unknown = await fetch(`${d.url}/status/targets/${encodeURIComponent('<nope>')}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No target named <code>&lt;nope&gt;</code>');

    const down = await start({}, 'redis://127.0.0.1:1');
    const unavailable = await fetch(`${down.url}/status/targets/t1`);
    expect(unavailable.status).toBe(503);
    expect(await unavailable.text()).toContain('is unreachable');
  });

  it('requires basic auth everywhere but the probes when credentials are configured', async () => {
    const logs = captureLogs();
    const d = await start({ dashboard: { host: '127.0.0.1', port: 0, username: 'ops', password: 's3cret-dashboard-pw' } });
    for (const path of ['/queues', '/queues/api/queues', '/metrics', '/', '/status', '/status/targets/t1']) {
      const res = await fetch(`${d.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="tq-entra"/);
    }
    expect((await fetch(`${d.url}/metrics`, { headers: basic('ops', 'wrong') })).status).toBe(401);
    expect((await fetch(`${d.url}/metrics`, { headers: basic('other', 's3cret-dashboard-pw') })).status).toBe(401);
    expect((await fetch(`${d.url}/metrics`, { headers: basic('ops', 's3cret-dashboard-pw') })).status).toBe(200);
    expect((await fetch(`${d.url}/queues/api/queues`, { headers: basic('ops', 's3cret-dashboard-pw') })).status).toBe(200);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${d.url}/readyz`)).status).toBe(200);
    logs.stop();
    expect(logs.text()).toContain('dashboard listening');
    expect(logs.text()).not.toContain('s3cret-dashboard-pw');
  });

  it('refuses a non-loopback bind without credentials, and half-configured credentials', async () => {
    await expect(startDashboard(config(), { port: 0, host: '0.0.0.0' })).rejects.toThrow(/without basic auth/);
    await expect(startDashboard(config({ dashboard: { username: 'ops' } }), { port: 0 })).rejects.toBeInstanceOf(UsageError);
  });

  it('reports a port in use with ERR_OPS_LISTEN naming the address', async () => {
    const d = await start();
    const port = Number(new URL(d.url).port);
    await expect(startDashboard(config(), { port })).rejects.toMatchObject({ code: 'ERR_OPS_LISTEN', message: expect.stringContaining(`127.0.0.1:${port}`) });
  });
});

describe('tq-entra dashboard', () => {
  function configFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tq-entra-dash-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, stringify({ redis: { prefix: r.prefix }, targets: [baseTarget()] }));
    return file;
  }

  it('prints the URL, serves until SIGTERM, then exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'dashboard', '--config', configFile(), '--port', '0'], {
      env: { ...process.env, REDIS_URL: r.url, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 20_000);
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
        const m = /dashboard: (http:\/\/\S+)\/queues/.exec(stdout);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const api = (await (await fetch(`${url}/queues/api/queues`)).json()) as { queues: unknown[] };
    expect(api.queues).toHaveLength(5);
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr).toContain('dashboard stopped');
  });

  it('refuses a bad --port, and a public --host without credentials, with exit status 2', async () => {
    const file = configFile();
    const [port, host] = await Promise.all([
      runCli(['dashboard', '--config', file, '--port', 'abc'], { env: { REDIS_URL: r.url } }),
      runCli(['dashboard', '--config', file, '--host', '0.0.0.0', '--port', '0'], { env: { REDIS_URL: r.url } }),
    ]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be an integer from 0 to 65535 (got "abc")');
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('without basic auth');
  });
});
