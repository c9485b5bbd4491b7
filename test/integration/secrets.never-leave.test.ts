/**
 * Invariant 8, secrets never leave, tested as deployed: two `worker` processes and the `dashboard` as
 * separate OS processes on a Redis URL that carries a password, syncing from a ThreatQ emulator through
 * both grants (client credentials and password) into the Graph emulator, with distinctive secret
 * values everywhere. One run fails on a wrong ThreatQ password and one reconcile on a wrong Graph client
 * secret (401 invalid_client), so errors get recorded. Then every Redis key under the prefix (all types,
 * BullMQ job data, failedReason and stacktrace included), the dashboard's /metrics, bull-board JSON and status pages,
 * each worker's /metrics and every process's stdout and stderr are searched for each secret in every
 * form it can take (as is, escaped, base64, hex), for `user:pass@` URLs and for access tokens.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';
import { dumpRedis, findLeaks, type Leak } from '../helpers/secret-scan.ts';
import { DEFAULT_TENANT_ID } from '../../src/emulators/graph/graph-emulator.ts';

const SECRETS = {
  threatqClientSecret: 'tqCs-Zp4wN8rT1yUeK7',
  threatqPassword: 'tqPw-7fK2vQ9xLm3Rd5',
  threatqWrongPassword: 'tqBad-Hq6sJ2dV5cXa9',
  graphClientSecret: 'graphCs-Wm9bR3tY7kPqG',
  graphWrongSecret: 'graphBad-Lx5nC8vF2gJdW',
  dashboardPassword: 'dashPw-Qe4rT7yU1iOpZ',
  redisPassword: 'redisPw-As2dF5gH8jKlM',
};
const GRAPH_APP = 'd4e5f6a7-1111-4222-8333-9a8b7c6d5e4f';
const TQ_USER = { email: 'analyst@example.com', password: SECRETS.threatqPassword, clientId: 'tq-user-api-client' };
const TQ_CLIENT = { clientId: 'tq-oauth-client', clientSecret: SECRETS.threatqClientSecret };
const ALL = '6d4c1f0e2b9a8c7d';
const THIRD = 'a1b2c3d4e5f6';

let env: PipelineEnv | undefined;
const procs: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await env?.close();
  env = undefined;
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The suite's Redis URL with a user and password (the test Redis accepts any password for `default`). */
function withPassword(url: string): string {
  const u = new URL(url);
  u.username = 'default';
  u.password = SECRETS.redisPassword;
  return u.toString();
}

/**
 * The environment's configuration plus a password-grant source, a source and a target with wrong
 * credentials, and dashboard auth: one file per worker (each serves /metrics on its own port).
 */
function writeConfigs(e: PipelineEnv, ports: number[]): string[] {
  const doc = parse(readFileSync(e.configPath, 'utf8')) as Record<string, any>;
  const corp = doc['targets'][0];
  const [tq, list] = doc['sources'];
  list.targets = ['bad'];
  doc['sources'].push(
    { name: 'tqpw', kind: 'threatq', url: tq.url, auth: { grant: 'password', ...TQ_USER }, collections: [{ id: THIRD, targets: ['corp'] }] },
    { name: 'tqbad', kind: 'threatq', url: tq.url, auth: { grant: 'password', ...TQ_USER, password: SECRETS.threatqWrongPassword }, collections: [{ id: ALL, targets: ['bad'] }] },
  );
  doc['targets'].push({ ...corp, name: 'bad', clientSecret: SECRETS.graphWrongSecret, namedLocation: { name: 'TQ Bad' }, policy: { name: 'TQ Bad Block' } });
  doc['dashboard'] = { username: 'ops', password: SECRETS.dashboardPassword };
  return ports.map((port, i) => {
    const path = `${e.dir}/worker-${i + 1}.yaml`;
    writeFileSync(path, stringify({ ...doc, worker: { ...doc['worker'], http: { host: '127.0.0.1', port } } }));
    return path;
  });
}

async function text(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  expect(res.status, url).toBe(200);
  return res.text();
}

describe('secrets never leave', () => {
  it('no secret, token or credentialed URL in Redis, job data, errors, metrics, the dashboard or any output', async () => {
    env = await startPipelineEnv({
      threatq: [{ name: 'tq', options: { generate: { count: 300, seed: 8 }, seed: { users: [TQ_USER], clients: [TQ_CLIENT] } }, collections: [{ id: ALL }] }],
      graph: { apps: [{ tenantId: DEFAULT_TENANT_ID, clientId: GRAPH_APP, clientSecret: SECRETS.graphClientSecret, roles: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'] }] },
      files: [{ name: 'list', lines: ['45.10.1.7'] }],
      target: { clientId: GRAPH_APP, clientSecret: SECRETS.graphClientSecret },
    });
    const e = env;
    // The environment's file source feeds corp; the rewritten configuration moves it to `bad`.
    const [cfg1, cfg2] = writeConfigs(e, [await freePort(), await freePort()]);
    if (!cfg1 || !cfg2) throw new Error('unreachable');
    const redisEnv = { REDIS_URL: withPassword(e.redis.url) };
    const worker1 = startCliProcess('worker-1', ['worker', '--config', cfg1], redisEnv);
    const worker2 = startCliProcess('worker-2', ['worker', '--config', cfg2], redisEnv);
    const dashboard = startCliProcess('dashboard', ['dashboard', '--config', cfg1, '--port', '0'], redisEnv);
    procs.push(worker1, worker2, dashboard);
    await Promise.all([worker1.waitFor('workers started'), worker2.waitFor('workers started'), dashboard.waitFor(/dashboard: http/)]);

    const cli = (args: string[]) => runCli([...args, '--config', cfg1], { env: redisEnv, timeoutMs: 50_000 });
    const outputs: Record<string, CliResult> = {};
    outputs['sync corp'] = await cli(['sync', '--target', 'corp', '--wait']);
    expect(outputs['sync corp'].code, outputs['sync corp'].stdout + outputs['sync corp'].stderr).toBe(0);
    const tq = e.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(expectedRanges([...qualifyingValues(tq, ALL), ...qualifyingValues(tq, THIRD)], { whitelist: [...whitelistValues(tq, ALL), ...whitelistValues(tq, THIRD)] }));

    outputs['sync bad'] = await cli(['sync', '--target', 'bad', '--wait']);
    expect(outputs['sync bad'].code, outputs['sync bad'].stdout + outputs['sync bad'].stderr).toBe(1);
    expect(outputs['sync bad'].stdout).toContain('ERR_THREATQ_AUTH');
    // The file run succeeded and its reconcile failed on the token request: the Graph 401 was met.
    expect(e.graph.requests({ kind: 'token' }).some((r) => r.status === 401)).toBe(true);
    outputs['report corp'] = await cli(['report', '--target', 'corp']);
    outputs['report bad'] = await cli(['report', '--target', 'bad']);
    expect(outputs['report bad'].stdout).toMatch(/failed/);

    // The failures are on record in BullMQ: failedReason and stacktrace are among what is searched below.
    const failed = async (queue: string): Promise<Record<string, string>[]> => {
      const ids = await e.redis.client.zrange(`${e.redis.prefix}:${queue}:failed`, '0', '-1');
      return Promise.all(ids.map(async (id) => ({ ...(await e.redis.client.hgetall(`${e.redis.prefix}:${queue}:${id}`)), id })));
    };
    const failedCollects = await failed('collect');
    const failedReconciles = await failed('reconcile');
    expect(failedCollects.map((j) => j['failedReason'])).toEqual([expect.stringContaining('ERR_THREATQ_AUTH')]);
    expect(failedReconciles.map((j) => j['failedReason'])).toEqual([expect.stringContaining('ERR_GRAPH_AUTH')]);
    expect(failedCollects[0]?.['stacktrace']).toMatch(/\[".+/);

    const leaks: Leak[] = [];
    const keys = await dumpRedis(e.redis.client, e.redis.prefix);
    expect(keys.length).toBeGreaterThan(20);
    for (const type of ['string', 'hash', 'zset', 'stream']) expect(keys.map((k) => k.type)).toContain(type);
    for (const k of keys) leaks.push(...findLeaks(`redis ${k.type} ${k.key}`, k.text, SECRETS));

    const board = /dashboard: (http:\/\/[^/\s]+)/.exec(dashboard.output())?.[1] ?? '';
    const auth = { authorization: `Basic ${Buffer.from(`ops:${SECRETS.dashboardPassword}`).toString('base64')}` };
    const pages = [`${board}/metrics`, `${board}/queues/api/queues`, `${board}/status`, `${board}/status/targets/corp`, `${board}/status/targets/bad`];
    for (const q of ['collect', 'ingest', 'reconcile']) {
      for (const status of ['failed', 'completed']) pages.push(`${board}/queues/api/queues?activeQueue=${q}&status=${status}&page=1&jobsPerPage=100`);
    }
    for (const j of failedCollects) pages.push(`${board}/queues/api/queues/collect/${j['id'] ?? ''}`);
    for (const url of pages) leaks.push(...findLeaks(`dashboard ${url}`, await text(url, auth), SECRETS));
    const failedPage = await text(`${board}/queues/api/queues?activeQueue=reconcile&status=failed&page=1`, auth);
    expect(failedPage).toContain('ERR_GRAPH_AUTH');
    // The status page shows the failed reconcile's error (scanned above with the other pages).
    expect(await text(`${board}/status/targets/bad`, auth)).toContain('ERR_GRAPH_AUTH');
    for (const w of [worker1, worker2]) {
      const url = /"http":"(http:\/\/[^"]+)"/.exec(w.output())?.[1] ?? /http:\/\/127\.0\.0\.1:\d+/.exec(w.output())?.[0];
      expect(url, w.output()).toBeDefined();
      leaks.push(...findLeaks(`${w.name} /metrics`, await text(`${url?.replace(/\/metrics$/, '')}/metrics`), SECRETS));
    }

    for (const p of procs) {
      const stop = await p.stop('SIGTERM');
      expect(stop.code, p.output()).toBe(0);
      leaks.push(...findLeaks(`${p.name} output`, p.output(), SECRETS));
    }
    for (const [name, r] of Object.entries(outputs)) leaks.push(...findLeaks(`${name} output`, r.stdout + r.stderr, SECRETS));
    // The search itself works: the outputs mention what failed, and a leak would be caught.
    expect(worker1.output() + worker2.output()).toMatch(/ERR_THREATQ_AUTH|ERR_GRAPH_AUTH/);
    expect(findLeaks('self-check', `x${Buffer.from(`u:${SECRETS.graphClientSecret}`).toString('base64')}x`, SECRETS)).not.toEqual([]);
    expect(leaks).toEqual([]);
  }, 60_000);
});
