/**
 * The dashboard as a way in (issue #17, invariant 10), tested as deployed: the `dashboard` (basic
 * auth) and, where the test says so, a `worker` as separate OS processes on one Redis, the Graph
 * emulator over HTTPS.
 *
 * - /kill-switch: no credentials → 401; a wrong confirmation, a missing form token or a cross-site
 *   Origin → refused, nothing recorded or written; the target's name typed again → the policy is
 *   disabled in one PATCH, recorded as `<user> (dashboard)`; enable restores it.
 * - bull-board's "add job" and "edit job data" are refused (405), whatever the case or a trailing
 *   slash; a reconcile job with `force: true` that reaches the queue anyway (written straight to
 *   Redis) is failed by the worker with ERR_JOB_DATA before anything is written to Entra.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { bullConnection, createQueues } from '../../src/pipeline/queues.ts';
import { readKillSwitch } from '../../src/state/kill-switch-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { until } from '../helpers/until.ts';

const PASSWORD = 'kill-switch-dashboard-pw';
const AUTH = { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` };

let env: PipelineEnv | undefined;
const procs: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await env?.close();
  env = undefined;
});

const policyState = (e: PipelineEnv) => (e.graph.state().policies as unknown as { displayName: string; state: string }[]).find((p) => p.displayName === 'TQ Block')?.state;
const writes = (e: PipelineEnv) => e.graph.requests({ kind: 'graph' }).filter((r) => r.method !== 'GET');

async function withDashboard(): Promise<{ e: PipelineEnv; board: string }> {
  const e = await startPipelineEnv({ files: [{ name: 'list', lines: ['45.10.1.7', '45.10.2.0/24'] }], target: { policy: { name: 'TQ Block', state: 'enabled', users: { include: ['All'], exclude: ['e0000000-0000-4000-8000-000000000001'] } } } });
  env = e;
  const doc = parse(readFileSync(e.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(e.configPath, stringify({ ...doc, dashboard: { username: 'ops', password: PASSWORD } }));
  const dashboard = startCliProcess('dashboard', ['dashboard', '--config', e.configPath, '--port', '0'], { REDIS_URL: e.redis.url });
  procs.push(dashboard);
  const [applied] = await Promise.all([e.cli(['apply', '--target', 'corp', '--indicators', e.files['list'] as string]), dashboard.waitFor(/dashboard: http/)]);
  expect(applied.code, applied.stderr).toBe(0);
  expect(policyState(e)).toBe('enabled');
  return { e, board: /dashboard: (http:\/\/[^/\s]+)/.exec(dashboard.output())?.[1] ?? '' };
}

function post(board: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${board}/kill-switch`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
}

describe('dashboard: the kill switch with confirmation', () => {
  it('requires auth, refuses a wrong confirmation, a missing token and a cross-site post; disables and enables with the target typed again', async () => {
    const { e, board } = await withDashboard();
    const keys = stateKeys(e.redis.prefix);
    expect((await fetch(`${board}/kill-switch`)).status).toBe(401);
    expect((await post(board, { target: 'corp', action: 'disable', confirm: 'corp', reason: 'x' }, { authorization: '' })).status).toBe(401);

    const page = await fetch(`${board}/kill-switch`, { headers: AUTH });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('not engaged');
    const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(token.length).toBeGreaterThan(20);

    e.graph.clearRequests();
    const form = { token, target: 'corp', action: 'disable', reason: 'partner blocked at 03:00' };
    const wrong = await post(board, { ...form, confirm: 'corp2' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('type the target name');
    expect((await post(board, { ...form, token: 'forged', confirm: 'corp' })).status).toBe(403);
    expect((await post(board, { ...form, confirm: 'corp' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(board, { ...form, confirm: 'corp', reason: ' ' })).status).toBe(400);
    expect(writes(e)).toEqual([]);
    expect(await readKillSwitch(e.redis.client, keys, 'corp')).toBeUndefined();
    expect(policyState(e)).toBe('enabled');

    const done = await post(board, { ...form, confirm: 'corp' }, { origin: board });
    const text = await done.text();
    expect(done.status, text).toBe(200);
    expect(text).toContain('kill switch engaged for corp');
    expect(text).toContain('ENGAGED');
    expect(policyState(e)).toBe('disabled');
    expect(writes(e).map((r) => r.method)).toEqual(['PATCH']);
    expect(await readKillSwitch(e.redis.client, keys, 'corp')).toMatchObject({ by: 'ops (dashboard)', reason: 'partner blocked at 03:00', state: 'disabled' });

    const enabled = await post(board, { token, target: 'corp', action: 'enable', confirm: 'corp' });
    expect(enabled.status, await enabled.text()).toBe(200);
    expect(policyState(e)).toBe('enabled');
    expect(await readKillSwitch(e.redis.client, keys, 'corp')).toBeUndefined();
  }, 180_000);

  it("refuses bull-board's add job and edit data; a worker fails a hand-made forced reconcile job before writing", async () => {
    const { e, board } = await withDashboard();
    const api = (path: string, method: string, body: unknown) =>
      fetch(`${board}/queues/api${path}`, { method, headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const data = { target: 'corp', manual: false, force: true, trigger: 'cli', runIds: [] };
    for (const path of ['/queues/reconcile/add', '/queues/reconcile/ADD', '/queues/reconcile/add/', '/queues/reconcile/%61dd']) {
      const res = await api(path, 'POST', { name: 'reconcile', data, options: {} });
      expect(res.status, path).toBe(405);
    }
    expect((await api('/queues/reconcile/1/update-data', 'PATCH', { data })).status).toBe(405);
    expect(await e.redis.client.exists(`${e.redis.prefix}:reconcile:id`)).toBe(0);

    // Past the dashboard (written to Redis directly): the worker refuses it, nothing reaches Entra.
    const queues = createQueues(bullConnection(e.redis.url), e.redis.prefix);
    try {
      const job = await queues.reconcile.add('reconcile', data as never);
      e.graph.clearRequests();
      const worker = await e.startWorker();
      await until('the forced job fails', async () => (await job.getState()) === 'failed', 60_000);
      const failed = await queues.reconcile.getJob(job.id ?? '');
      expect(failed?.failedReason).toContain('ERR_JOB_DATA');
      expect(failed?.failedReason).toContain('force');
      expect(failed?.attemptsMade).toBe(1);
      expect(worker.output()).toContain('ERR_JOB_DATA');
      expect(writes(e)).toEqual([]);
    } finally {
      await queues.close();
    }
  }, 180_000);
});
