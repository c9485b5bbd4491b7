/**
 * Invariant 10, the dashboard as a way work enters: bull-board is not read-only (it retries, promotes,
 * cleans and adds jobs). Tested as deployed: two `worker` processes and the `dashboard` (basic auth)
 * as separate OS processes on one Redis. A reconcile fails for good (Graph refuses the location with
 * a 400); once the cause is gone an operator retries the failed job through the dashboard's HTTP API,
 * and the workers take it to completion: Entra reaches the desired state. Without credentials the
 * retry is refused and nothing runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';

const PASSWORD = 'dashboard-enqueue-pw';
const AUTH = { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` };

let env: PipelineEnv | undefined;
const procs: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await env?.close();
  env = undefined;
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface BoardJob {
  id: string;
  failedReason?: string;
  finishedOn?: number;
  attemptsMade?: number;
}

describe('dashboard: a failed job retried by an operator', () => {
  it('a reconcile that failed for good is retried through the dashboard API and reaches Entra', async () => {
    env = await startPipelineEnv({ files: [{ name: 'list', lines: ['45.10.1.7', '45.10.2.0/24', '2a02:8:0:21::a1c'] }] });
    const e = env;
    const doc = parse(readFileSync(e.configPath, 'utf8')) as Record<string, any>;
    writeFileSync(e.configPath, stringify({ ...doc, dashboard: { username: 'ops', password: PASSWORD } }));
    const dashboard = startCliProcess('dashboard', ['dashboard', '--config', e.configPath, '--port', '0'], { REDIS_URL: e.redis.url });
    procs.push(dashboard);
    await Promise.all([e.startWorker(), e.startWorker(), dashboard.waitFor(/dashboard: http/)]);
    const board = /dashboard: (http:\/\/[^/\s]+)/.exec(dashboard.output())?.[1] ?? '';
    const api = async (path: string, init: RequestInit = {}) => fetch(`${board}/queues/api${path}`, { ...init, headers: { ...AUTH, ...init.headers } });

    // Graph refuses the location once: a validation error is not retried, the reconcile fails for good.
    e.graph.addFaults([{ method: 'POST', path: '/namedLocations', status: 400, times: 1 }]);
    const first = await e.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toContain('ERR_GRAPH_VALIDATION');
    expect(e.graph.state().namedLocations).toEqual([]);

    const listed = await api('/queues?activeQueue=reconcile&status=failed&page=1');
    expect(listed.status).toBe(200);
    const queues = ((await listed.json()) as { queues: { name: string; jobs: BoardJob[] }[] }).queues;
    const failed = queues.find((q) => q.name === 'reconcile')?.jobs ?? [];
    expect(failed.map((j) => j.failedReason)).toEqual([expect.stringContaining('ERR_GRAPH_VALIDATION')]);
    const id = failed[0]?.id ?? '';

    // No credentials, no retry: the job stays failed.
    const anonymous = await fetch(`${board}/queues/api/queues/reconcile/${id}/retry`, { method: 'PUT' });
    expect(anonymous.status).toBe(401);
    expect(await e.redis.client.zscore(`${e.redis.prefix}:reconcile:failed`, id)).not.toBeNull();

    const requestsBefore = e.graph.requests({ kind: 'graph' }).length;
    const retried = await api(`/queues/reconcile/${id}/retry`, { method: 'PUT' });
    expect(retried.status, await retried.text()).toBe(204);
    await until('the dashboard shows the retried reconcile completed', async () => {
      const res = await api(`/queues/reconcile/${id}`);
      const body = (await res.json()) as { job: BoardJob; status: string };
      return body.status === 'completed' ? body : undefined;
    });
    const returned = JSON.parse((await e.redis.client.hget(`${e.redis.prefix}:reconcile:${id}`, 'returnvalue')) ?? 'null') as unknown;
    expect(returned).toMatchObject({ target: 'corp', desired: 3, graphWrites: 2 });
    expect(e.graph.requests({ kind: 'graph' }).length).toBeGreaterThan(requestsBefore);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(['45.10.1.7/32', '45.10.2.0/24', '2a02:8:0:21::a1c/128']);
    const policies = e.graph.state().policies as { displayName: string; state: string }[];
    expect(policies.map((p) => [p.displayName, p.state])).toEqual([['TQ Block', 'enabledForReportingButNotEnforced']]);

    // The run record says so too, and a report run against the same Redis shows the target in step.
    const report = await e.cli(['report', '--target', 'corp']);
    expect(report.code, report.stdout + report.stderr).toBe(0);
    expect(report.stdout).toMatch(/reconcile corp\s+run reconcile-\S+\s+succeeded/);
  }, 60_000);
});
