/**
 * Notifications end to end (issue 17): a real `tq-entra worker` process on real Redis, the Graph
 * emulator, `tq-entra sync` from the CLI, and a webhook receiver (test/helpers/notify-receiver.ts) that
 * records what was sent. Each condition is notified (large change, capacity, failed run, refused run;
 * kill switch, rollback and What If through the `notify` API), once per window, retried with backoff
 * after 500/429 (a 404 is final), never delaying the reconcile (a hung receiver, a dead one), and the
 * webhook URLs (credentials) appear nowhere: worker output, CLI output, job data, Redis.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { getLogger } from '../../src/observability/logger.ts';
import { notify, notifyWindowKey, type NotifyDeps } from '../../src/notify/notify.ts';
import { bullConnection, createQueues, type NotifyJobData, type Queues } from '../../src/pipeline/queues.ts';
import { lastRunId, readRun } from '../../src/pipeline/run-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { renderServiceMetrics } from '../../src/dashboard/metrics-export.ts';
import { metricKeys } from '../../src/observability/metrics-keys.ts';
import { startPipelineEnv, type PipelineEnv, type WorkerProcess } from '../helpers/pipeline-env.ts';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notify-receiver.ts';
import { dumpRedis, findLeaks } from '../helpers/secret-scan.ts';
import { until } from '../helpers/until.ts';

const token = (what: string) => `${what}-${randomUUID().replace(/-/g, '')}`;
const SECRETS = { hook: token('HookTok'), slack: token('SlackTok'), teams: token('TeamsTok'), teamsSig: token('TeamsSig'), slow: token('SlowTok'), down: token('DownTok') };
const PATH = { hook: `/hooks/${SECRETS.hook}`, slack: `/slack/${SECRETS.slack}`, teams: `/teams/${SECRETS.teams}?sig=${SECRETS.teamsSig}`, slow: `/slow/${SECRETS.slow}` };
const DIRECT_EVENTS = ['kill-switch', 'rollback', 'what-if-surprise'];

/** `n` addresses that never merge (every other one), from 198.51.100.<start>. */
const addresses = (n: number, start: number) => Array.from({ length: n }, (_, i) => `198.51.100.${start + 2 * i}`);

let receiver: NotifyReceiver;
let env: PipelineEnv;
let worker: WorkerProcess;
let queues: Queues;
let deps: NotifyDeps;
const cliOutput: string[] = [];

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function sync(): Promise<{ code: number | null; ms: number }> {
  const start = Date.now();
  const r = await env.cli(['sync', '--target', 'corp', '--wait']);
  cliOutput.push(r.stdout, r.stderr);
  return { code: r.code, ms: Date.now() - start };
}

const bodies = (path: string) => receiver.at(path).map((r) => r.body);
const events = (path: string) => bodies(path).map((b) => b.event ?? b.blocks?.[2]?.elements?.[0]?.text ?? b.attachments?.[0]?.content?.body?.[3]?.text);

async function metric(kind: string, outcome: string): Promise<number> {
  return Number((await env.redis.client.hget(metricKeys(env.redis.prefix).notifications, JSON.stringify([kind, outcome]))) ?? 0);
}

async function notifyJobs(states: ('failed' | 'completed' | 'active' | 'waiting' | 'delayed')[]): Promise<Job<NotifyJobData>[]> {
  return queues.notify.getJobs(states);
}

async function drained(): Promise<boolean> {
  const c = await queues.notify.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(c).every((n) => n === 0);
}

beforeAll(async () => {
  receiver = await startNotifyReceiver();
  const down = `http://127.0.0.1:${await closedPort()}/down/${SECRETS.down}`;
  env = await startPipelineEnv({
    files: [{ name: 'feed', lines: addresses(12, 1) }],
    target: { namedLocation: { name: 'TQ Blocked', maxLocations: 1, maxRangesPerLocation: 20 }, safety: { allowReserved: true, maxRemovalFraction: 1 } },
    config: {
      pipeline: { reconcileWindow: '0s' },
      notify: [
        { name: 'ops-hook', kind: 'webhook', url: `${receiver.url}${PATH.hook}`, events: ['run-failed', 'run-refused', 'large-change', 'capacity-high'], largeChange: 5, capacityPercent: 50, attempts: 3, backoff: '100ms' },
        { name: 'ops-slack', kind: 'slack', url: `${receiver.url}${PATH.slack}`, events: DIRECT_EVENTS, window: '1s', attempts: 4, backoff: '200ms' },
        { name: 'ops-teams', kind: 'teams', url: `${receiver.url}${PATH.teams}`, events: DIRECT_EVENTS },
        { name: 'slow', kind: 'webhook', url: `${receiver.url}${PATH.slow}`, events: ['large-change'], largeChange: 1, window: '1s', attempts: 1 },
        { name: 'down', kind: 'webhook', url: down, events: ['large-change'], largeChange: 1, attempts: 2, backoff: '100ms' },
      ],
    },
  });
  worker = await env.startWorker();
  queues = createQueues(bullConnection(env.redis.url), env.redis.prefix);
  deps = { config: env.config, redis: env.redis.client, queues, logger: getLogger('test') };
}, 60_000);

afterAll(async () => {
  receiver.release();
  await queues?.close();
  await env?.close();
  await receiver?.close();
});

describe('notifications end to end', () => {
  it('a run that adds many ranges and fills the target past the threshold: large-change and capacity-high; a dead receiver fails its own job only', async () => {
    const run = await sync();
    expect(run.code, worker.output()).toBe(0);
    await until('two messages on the webhook', () => receiver.at(PATH.hook).length >= 2);
    const byEvent = Object.fromEntries(bodies(PATH.hook).map((b) => [b.event, b]));
    expect(Object.keys(byEvent).sort()).toEqual(['capacity-high', 'large-change']);
    expect(byEvent['large-change']).toMatchObject({ service: 'threatq-entra-sync', severity: 'warning', title: 'Large change: corp', data: { target: 'corp', added: 12, removed: 0 } });
    expect(byEvent['capacity-high']).toMatchObject({ title: 'Capacity high: corp at 60.0%', data: { ranges: 12, capacity: 20 } });
    // The dead receiver's notification failed after its 2 attempts; the reconcile had long succeeded.
    await until('the dead receiver job failed', async () => (await notifyJobs(['failed'])).some((j) => j.data.target === 'down'));
    const dead = (await notifyJobs(['failed'])).find((j) => j.data.target === 'down');
    expect(dead?.attemptsMade).toBe(2);
    expect(dead?.failedReason).toContain('notification target "down" (webhook): no answer (ECONNREFUSED)');
    // Failed for good: its 1 h window is given back, so the next large change is tried again.
    await until('the dead target window released', async () => (await env.redis.client.exists(notifyWindowKey(env.redis.prefix, 'down', 'large-change:corp'))) === 0, 10_000);
    expect(await env.redis.client.exists(notifyWindowKey(env.redis.prefix, 'ops-hook', 'large-change:corp'))).toBe(1);
  });

  it('the same conditions again within the window: no second message, counted as suppressed', async () => {
    env.writeFile('feed', addresses(12, 101));
    expect((await sync()).code, worker.output()).toBe(0);
    const runId = await lastRunId(env.redis.client, stateKeys(env.redis.prefix), 'target', 'corp');
    const run = await readRun(env.redis.client, stateKeys(env.redis.prefix), runId ?? '');
    expect(run?.counts).toMatchObject({ added: 12, removed: 12 });
    expect(await metric('webhook', 'suppressed')).toBeGreaterThanOrEqual(2);
    await until('notify queue drained', drained);
    expect(receiver.at(PATH.hook)).toHaveLength(2);
    const lines = worker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const suppressed = lines.filter((l) => String(l['message']).startsWith('notification suppressed') && l['target'] === 'ops-hook').map((l) => l['condition']);
    expect(suppressed.sort()).toEqual(['capacity-high:corp', 'large-change:corp']);
  });

  it('after the window the same condition is notified again (1 s window); a 1 h window holds', async () => {
    const engaged = { kind: 'kill-switch', target: 'corp', action: 'engaged', policyState: 'disabled', by: 'alice', reason: 'partner range blocked' } as const;
    expect(await notify(deps, engaged)).toBe(2); // slack and teams
    expect(await notify(deps, engaged)).toBe(0); // both within their windows
    const key = notifyWindowKey(env.redis.prefix, 'ops-slack', 'kill-switch:corp:engaged');
    await until('the slack window expired', async () => (await env.redis.client.exists(key)) === 0, 5000);
    expect(await notify(deps, engaged)).toBe(1); // slack again; teams' 1 h window still holds
    await until('two on slack, one on teams', () => receiver.at(PATH.slack).length >= 2 && receiver.at(PATH.teams).length >= 1);
    await until('notify queue drained', drained);
    expect(receiver.at(PATH.slack)).toHaveLength(2);
    expect(receiver.at(PATH.teams)).toHaveLength(1);
  });

  it('kill switch released, rollback and What If surprise go out as Slack blocks and Teams Adaptive Cards', async () => {
    await notify(deps, { kind: 'kill-switch', target: 'corp', action: 'released', policyState: 'enabledForReportingButNotEnforced' });
    await notify(deps, { kind: 'rollback', target: 'corp', toRun: 'reconcile-20261130-a', added: 12, removed: 12, by: 'bob' });
    await notify(deps, { kind: 'what-if-surprise', target: 'corp', surprises: ['emergency account 0f0f would be blocked from 198.51.100.1'], enforced: false });
    await until('three more on each', () => receiver.at(PATH.slack).length >= 5 && receiver.at(PATH.teams).length >= 4);
    const slack = bodies(PATH.slack).slice(2);
    expect(slack.map((b) => b.blocks[0].text.text)).toEqual(['Kill switch released: corp', 'Rollback: corp', 'What If surprise: corp']);
    expect(slack[2].text).toContain('Enabling the policy was refused: emergency account 0f0f would be blocked from 198.51.100.1');
    const teams = bodies(PATH.teams).slice(1);
    for (const b of teams) expect(b.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.map((b) => b.attachments[0].content.body[0].text)).toEqual(['Kill switch released: corp', 'Rollback: corp', 'What If surprise: corp']);
    expect(teams[1].attachments[0].content.body[2].facts).toContainEqual({ title: 'To run', value: 'reconcile-20261130-a' });
    expect(events(PATH.slack).slice(2).map((t: string) => t.split(' · ')[1])).toEqual(DIRECT_EVENTS);
  });

  it('500, 429, 500 then 200: delivered on the 4th attempt with growing backoff; a 404 is final at once', async () => {
    receiver.answer(PATH.slack, [500, 429, 500]);
    const before = receiver.at(PATH.slack).length;
    await notify(deps, { kind: 'rollback', target: 'corp', toRun: 'retry-run' });
    await until('delivered after retries', () => receiver.at(PATH.slack).some((r) => r.status === 200 && r.body.blocks[2].elements[0].text.includes('rollback') && r.body.text.includes('retry-run')), 15_000);
    const tries = receiver.at(PATH.slack).slice(before);
    expect(tries.map((r) => r.status)).toEqual([500, 429, 500, 200]);
    const gaps = tries.slice(1).map((r, i) => r.at - (tries[i]?.at ?? 0));
    // backoff 200 ms, exponential: about 200, 400, 800 ms
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeGreaterThanOrEqual(390);
    expect(gaps[2]).toBeGreaterThanOrEqual(790);
    expect(await metric('slack', 'retried')).toBe(3);

    receiver.answer(PATH.slack, [404]);
    await notify(deps, { kind: 'rollback', target: 'corp', toRun: 'revoked-run' });
    await until('the 404 job failed', async () => (await notifyJobs(['failed'])).some((j) => j.data.target === 'ops-slack'));
    const failed = (await notifyJobs(['failed'])).find((j) => j.data.target === 'ops-slack');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('ERR_NOTIFY_HTTP: notification target "ops-slack" (slack): HTTP 404');
    expect(receiver.at(PATH.slack).filter((r) => r.body.text.includes('revoked-run'))).toHaveLength(1);
    expect(await metric('slack', 'failed')).toBe(1);
    const text = await renderServiceMetrics(env.redis.client, env.redis.prefix, []);
    expect(text).toContain('# TYPE tq_entra_notifications_total counter');
    expect(text).toMatch(/tq_entra_notifications_total\{kind="slack",outcome="sent"\} [1-9]/);
    expect(text).toContain('tq_entra_notifications_total{kind="slack",outcome="retried"} 3');
    // The dead receiver failed twice: the first large change, and (its window given back) the second.
    expect(text).toContain('tq_entra_notifications_total{kind="webhook",outcome="failed"} 2');
  });

  it('a failed run and a refused run are notified with their error codes', async () => {
    env.writeFile('feed', Array.from({ length: 25 }, (_, i) => `hostname-${i}.example`));
    expect((await sync()).code).not.toBe(0);
    await until('run-failed on the webhook', () => bodies(PATH.hook).some((b) => b.event === 'run-failed'), 20_000);
    const failed = bodies(PATH.hook).find((b) => b.event === 'run-failed');
    expect(failed).toMatchObject({ severity: 'error', data: { run: 'collect', name: 'feed', code: 'ERR_SOURCE_NOT_A_BLOCKLIST' } });
    expect(failed.title).toBe(`Run failed: collect of feed / ${env.files['feed']}`);

    env.writeFile('feed', ['# nothing to block today']);
    expect((await sync()).code).not.toBe(0);
    await until('run-refused on the webhook', () => bodies(PATH.hook).some((b) => b.event === 'run-refused'), 20_000);
    const refused = bodies(PATH.hook).find((b) => b.event === 'run-refused');
    expect(refused).toMatchObject({ severity: 'warning', title: 'Reconcile refused (safety check): corp', data: { target: 'corp', code: 'ERR_SAFETY_EMPTY' } });
    expect(refused.text).toContain('Nothing was written to Entra.');
  });

  it('a hung receiver never delays the reconcile: the run succeeds while its notification is still waiting for an answer', async () => {
    receiver.hold(PATH.slow);
    await until('the slow window expired', async () => (await env.redis.client.exists(notifyWindowKey(env.redis.prefix, 'slow', 'large-change:corp'))) === 0, 5000);
    env.writeFile('feed', addresses(12, 201));
    const run = await sync();
    expect(run.code, worker.output()).toBe(0);
    await until('the slow receiver holds a request', () => receiver.held() >= 1);
    const runId = await lastRunId(env.redis.client, stateKeys(env.redis.prefix), 'target', 'corp');
    const record = await readRun(env.redis.client, stateKeys(env.redis.prefix), runId ?? '');
    expect(record?.status).toBe('succeeded');
    const active = await notifyJobs(['active']);
    expect(active.map((j) => j.data.target)).toContain('slow');
    expect(Date.parse(record?.finishedAt ?? '')).toBeLessThanOrEqual(receiver.at(PATH.slow).at(-1)?.at ?? 0);
    receiver.release();
    await until('the slow job completed', async () => (await notifyJobs(['completed'])).some((j) => j.data.target === 'slow'));
  });

  it('webhook URLs never leave: not in worker or CLI output, job data, or any Redis key; config check --print redacts them', async () => {
    const printed = await env.cli(['config', 'check', '--print']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('[REDACTED]');
    const jobs = await notifyJobs(['failed', 'completed', 'active', 'waiting', 'delayed']);
    expect(jobs.length).toBeGreaterThan(10);
    const dump = await dumpRedis(env.redis.client, env.redis.prefix);
    expect(dump.some((k) => k.key.includes(':notify:'))).toBe(true);
    const leaks = [
      ...findLeaks('worker output', worker.output(), SECRETS),
      ...findLeaks('cli output', [...cliOutput, printed.stdout, printed.stderr].join('\n'), SECRETS),
      ...findLeaks('job data', JSON.stringify(jobs.map((j) => j.data)), SECRETS),
      ...dump.flatMap((k) => findLeaks(`redis ${k.key}`, `${k.key}\n${k.text}`, SECRETS)),
    ];
    expect(leaks).toEqual([]);
    // and they were really used
    expect(receiver.received.some((r) => r.path.includes(SECRETS.hook))).toBe(true);
  });
});
