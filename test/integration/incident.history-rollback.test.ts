/**
 * Issue #17, history / why / rollback, end to end: real Redis, the Graph and ThreatQ emulators over
 * HTTP, `tq-entra worker` processes and `tq-entra` CLI processes (pipeline-env.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import type { HistoryView } from '../../src/cli/history.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const tqSeed = (items: { value: string; score: number; created: string; updated: string }[]) => ({
  indicators: items.map((i) => ({ value: i.value, type: i.value.includes('/') ? 'CIDR Block' : 'IP Address', status: 'Active', score: i.score, created_at: i.created, updated_at: i.updated })),
  collections: { feed: {} },
});

async function historyOf(e: PipelineEnv, extra: string[] = []): Promise<HistoryView[]> {
  const r = await e.cli(['history', '--target', 'corp', '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { entries: HistoryView[] }).entries;
}

async function ok(e: PipelineEnv, args: string[]): Promise<string> {
  const t0 = Date.now();
  const r = await e.cli(args);
  if (process.env['TEST_STEP_TIMES']) process.stderr.write(`${args.slice(0, 3).join(' ')}: ${Date.now() - t0} ms\n`);
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('history and why', () => {
  it('across two sources feeding one target: what changed, from which source, and why an address is blocked', async () => {
    env = await startPipelineEnv({
      threatq: [
        { name: 'tq-a', options: { idOffset: 5, seed: tqSeed([{ value: '198.51.100.1', score: 7, created: '2026-01-02 03:04:05', updated: '2026-11-01 10:00:00' }, { value: '203.0.113.0/24', score: 9, created: '2026-02-01 00:00:00', updated: '2026-11-02 00:00:00' }]) }, collections: [{ id: 'feed' }] },
        { name: 'tq-b', options: { idOffset: 60, seed: tqSeed([{ value: '198.51.100.1', score: 3, created: '2025-12-24 00:00:00', updated: '2026-10-01 00:00:00' }, { value: '192.0.2.44', score: 5, created: '2026-03-03 00:00:00', updated: '2026-11-03 00:00:00' }]) }, collections: [{ id: 'feed' }] },
      ],
      target: { safety: { allowReserved: true, maxRemovalFraction: 1 } },
    });
    await env.startWorker();
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    const keys = stateKeys(env.config.redis.prefix);
    const snapRun = async (source: string) => (await env?.redis.client.hget(keys.snapshotMeta(source, 'feed'), 'runId')) ?? '';

    let h = await historyOf(env);
    expect(h).toHaveLength(1);
    const first = h[0] as HistoryView;
    expect(first.kind).toBe('reconcile');
    expect(first.total).toBe(3);
    expect(first.sources).toEqual([
      { label: 'tq-a/feed', runId: await snapRun('tq-a') },
      { label: 'tq-b/feed', runId: await snapRun('tq-b') },
    ]);
    const added = Object.fromEntries(first.added.map((a) => [a.cidr, a.sources]));
    expect(added).toEqual({ '192.0.2.44/32': ['tq-b/feed'], '198.51.100.1/32': ['tq-a/feed', 'tq-b/feed'], '203.0.113.0/24': ['tq-a/feed'] });

    // 192.0.2.44 expires on tq-b (its only source): the next run removes it.
    const b = env.threatq['tq-b'];
    const id44 = [...(b?.indicators('feed') ?? [])].find((x) => x.value === '192.0.2.44')?.id ?? -1;
    b?.mutate(id44, { status: 'Expired' });
    await ok(env, ['sync', '--source', 'tq-b', '--wait']);
    h = await historyOf(env);
    expect(h).toHaveLength(2);
    expect(h[1]?.removed).toEqual([{ cidr: '192.0.2.44/32', location: 'TQ Blocked', sources: ['tq-b/feed'] }]);
    expect(h[1]?.total).toBe(2);
    const only44 = await historyOf(env, ['--range', '192.0.2.0/24']);
    expect(only44.map((v) => [v.run, v.added.length, v.removed.length])).toEqual([
      [first.run, 1, 0],
      [h[1]?.run, 0, 1],
    ]);
    const text = await ok(env, ['history', '--target', 'corp', '--since', '1h']);
    expect(text).toContain('- 192.0.2.44/32  in "TQ Blocked"  was from tq-b/feed');

    const why = JSON.parse(await ok(env, ['why', '--target', 'corp', '198.51.100.1', '--json'])) as {
      blocked: boolean;
      held: { cidr: string; location: string; firstBlocked?: { run: string } }[];
      sources: { label: string; snapshotRun: string; ranges: { cidr: string; total: number; indicators: { value: string; score: number; firstSeen: string; lastSeen: string }[] }[] }[];
    };
    expect(why.blocked).toBe(true);
    expect(why.held).toEqual([expect.objectContaining({ cidr: '198.51.100.1/32', location: 'TQ Blocked', firstBlocked: expect.objectContaining({ run: first.run }) })]);
    expect(why.sources.map((s) => [s.label, s.snapshotRun, s.ranges])).toEqual([
      ['tq-a/feed', await snapRun('tq-a'), [{ cidr: '198.51.100.1/32', total: 1, indicators: [{ value: '198.51.100.1', score: 7, firstSeen: '2026-01-02T03:04:05.000Z', lastSeen: '2026-11-01T10:00:00.000Z' }] }]],
      ['tq-b/feed', await snapRun('tq-b'), [{ cidr: '198.51.100.1/32', total: 1, indicators: [{ value: '198.51.100.1', score: 3, firstSeen: '2025-12-24T00:00:00.000Z', lastSeen: '2026-10-01T00:00:00.000Z' }] }]],
    ]);
    const whyRange = await ok(env, ['why', '--target', 'corp', '203.0.113.77']);
    expect(whyRange).toContain('BLOCKED');
    expect(whyRange).toContain('203.0.113.0/24 in named location "TQ Blocked"');
    expect(whyRange).toContain('source tq-a/feed');
    expect(whyRange).toContain('203.0.113.0/24  score 9  first seen 2026-02-01T00:00:00.000Z');
    const gone = await ok(env, ['why', '--target', 'corp', '192.0.2.44']);
    expect(gone).toContain('not blocked');
    const bad = await env.cli(['why', '--target', 'corp', 'not-an-ip']);
    expect(bad.code).toBe(2);
  }, 300_000);
});

describe('rollback and pin', () => {
  it('rolls back a run that removed ranges: plan first, --yes applies without workers and pins; the next sync keeps them; unpin lets it remove them', async () => {
    // Not adjacent, so they never merge into one range.
    const all = ['45.33.10.1', '45.33.10.3', '45.33.10.5', '45.33.10.7'];
    env = await startPipelineEnv({ files: [{ name: 'feed', lines: all }] });
    const worker = await env.startWorker();
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    env.writeFile('feed', all.slice(0, 3));
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['45.33.10.1/32', '45.33.10.3/32', '45.33.10.5/32']);
    const [full, removal] = await historyOf(env);
    expect(removal?.removed.map((r) => r.cidr)).toEqual(['45.33.10.7/32']);
    expect(await worker.stop('SIGTERM')).toBe(0);

    // Without --yes: the plan, nothing written, no pin.
    const plan = await ok(env, ['rollback', '--target', 'corp', '--to', full?.run ?? '']);
    expect(plan).toContain(`Rollback of target "corp" to run ${full?.run}`);
    expect(plan).toContain('+1 -0');
    expect(plan).toContain('Nothing written');
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toHaveLength(3);
    const keys = stateKeys(env.config.redis.prefix);
    expect(await env.redis.client.exists(keys.pin('corp'))).toBe(0);

    // --yes, with no worker running: applied through reconcile under the lock, pinned, recorded.
    const r = await env.cli(['rollback', '--target', 'corp', '--to', full?.run ?? '', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('is pinned to run');
    const logLine = r.stderr.split('\n').find((l) => l.includes('"event":"rollback"'));
    expect(JSON.parse(logLine ?? '{}')).toMatchObject({ message: 'rollback applied', target: 'corp', toRun: full?.run, pinned: true, added: 1 });
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['45.33.10.1/32', '45.33.10.3/32', '45.33.10.5/32', '45.33.10.7/32']);
    const afterRollback = await historyOf(env);
    expect(afterRollback.at(-1)).toMatchObject({ kind: 'rollback', pinnedTo: full?.run, total: 4, hash: full?.hash });

    // The next sync through the queue and a worker: the feed still lacks .4, the pin keeps it.
    const w2 = await env.startWorker();
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toHaveLength(4);
    expect(w2.output()).toContain('target pinned');
    const planPinned = await ok(env, ['plan', '--target', 'corp']);
    expect(planPinned).toContain(`target pinned to run ${full?.run}`);

    // unpin: the next sync follows the feed again.
    expect(await ok(env, ['unpin', '--target', 'corp'])).toContain('unpinned');
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(['45.33.10.1/32', '45.33.10.3/32', '45.33.10.5/32']);
    expect(await ok(env, ['unpin', '--target', 'corp'])).toContain('is not pinned');
  }, 400_000);

  it('a rollback that would remove more than safety.maxRemovalFraction is refused, and nothing is pinned', async () => {
    const many = Array.from({ length: 10 }, (_, i) => `45.33.20.${2 * i + 1}`);
    env = await startPipelineEnv({ files: [{ name: 'feed', lines: many.slice(0, 2) }] });
    const w = await env.startWorker();
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    env.writeFile('feed', many);
    await ok(env, ['sync', '--target', 'corp', '--wait']);
    await w.stop('SIGTERM');
    const [small] = await historyOf(env);
    const r = await env.cli(['rollback', '--target', 'corp', '--to', small?.run ?? '', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_SAFETY_REMOVAL');
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toHaveLength(10);
    expect(await env.redis.client.exists(stateKeys(env.config.redis.prefix).pin('corp'))).toBe(0);
  }, 120_000);

  it('history keeps history.keepRuns runs; a trimmed run cannot be rolled back to', async () => {
    env = await startPipelineEnv({ config: { history: { keepRuns: 2, keepDays: 30 } } });
    const { writeFileSync } = await import('node:fs');
    for (let k = 1; k <= 4; k += 1) {
      const file = `${env.dir}/run-${k}.txt`;
      writeFileSync(file, `${Array.from({ length: k }, (_, i) => `45.33.30.${2 * i + 1}`).join('\n')}\n`);
      await ok(env, ['apply', '--target', 'corp', '--indicators', file]);
    }
    const h = await historyOf(env);
    expect(h.map((v) => v.total)).toEqual([3, 4]);
    expect(await env.redis.client.hlen(stateKeys(env.config.redis.prefix).historyEntries('corp'))).toBe(2);
    const gone = await env.cli(['rollback', '--target', 'corp', '--to', 'reconcile-20200101T000000Z-00000000']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('is not in the history of target "corp"');
  }, 120_000);
});
