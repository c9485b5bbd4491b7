/**
 * The indicator life cycle (issue 18) the way operators deploy it: `scheduler --watch` and two
 * `worker` processes on one Redis, the ThreatQ and Graph emulators over HTTP, a ThreatQ collection on
 * a 2 s schedule with writeBack, its whitelist and a removal grace. Scheduled runs reach Entra and
 * write back; both workers get SIGTERM in the middle of a paced write-back pass and exit 0 within the
 * shutdown grace; a fresh worker takes the handed-back job over and the pass ends with exactly the
 * enforced indicators annotated, once each (no duplicate tag or attribute after the hand-over); an
 * indicator that expires stays blocked in its removal grace through the following scheduled runs;
 * no Whitelisted address is blocked; scheduler and worker exit 0 on SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoverIndex, normalizeCidr } from '../../src/ranges/index.ts';
import { readGrace } from '../../src/state/grace-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readWriteBackRun } from '../../src/state/writeback-store.ts';
import type { ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { until } from '../helpers/until.ts';

const COLLECTION = '6d4c1f0e2b9a8c7d';

let env: PipelineEnv | undefined;
let scheduler: CliProcess | undefined;
afterEach(async () => {
  if (scheduler?.child.exitCode === null) await scheduler.stop('SIGKILL');
  scheduler = undefined;
  await env?.close();
  env = undefined;
});

function tq(e: PipelineEnv): ThreatQEmulator {
  const emu = e.threatq['tq'];
  if (!emu) throw new Error('no emulator');
  return emu;
}

/** Ids of the Active IP indicators whose range Entra holds now (ground truth from both emulators). */
function enforcedIds(e: PipelineEnv): number[] {
  const entra = new CoverIndex();
  for (const c of rangesInEntra(e.graph, 'TQ Blocked').all) entra.add(c);
  const out: number[] = [];
  for (const r of tq(e).indicators(COLLECTION)) {
    const range = r.status.name === 'Active' ? normalizeCidr(r.value) : null;
    if (range !== null && entra.covers(range)) out.push(r.id);
  }
  return out.sort((a, b) => a - b);
}

describe('the indicator life cycle under scheduler --watch and worker processes', () => {
  it('scheduled runs write back through a SIGTERM of every worker; grace and whitelist hold; every SIGTERM exits 0', { timeout: 180_000 }, async () => {
    env = await startPipelineEnv({
      threatq: [
        {
          name: 'tq',
          options: { idOffset: 20, generate: { count: 240, seed: 18, distribution: 'sparse' } },
          collections: [{ id: COLLECTION, schedule: { every: '2s' } }],
          source: { writeBack: { requestsPerSecond: 10 } },
        },
      ],
      target: { policy: { name: 'TQ Block', state: 'enabled' }, removalGrace: '1h' },
      worker: { lockDurationMs: 3000, stalledIntervalMs: 2000 },
      config: { pipeline: { reconcileWindow: '0s' }, scheduler: { minInterval: '1s' } },
    });
    const emu = tq(env);
    const keys = stateKeys(env.redis.prefix);
    const redisEnv = { REDIS_URL: env.redis.url };
    scheduler = startCliProcess('scheduler', ['scheduler', '--watch', '--config', env.configPath], redisEnv);
    await scheduler.waitFor('schedulers: 1 upserted', 30_000);
    const workers = [await env.startWorker(), await env.startWorker()];

    // A scheduled run reached Entra and its paced write-back pass is under way: stop both workers.
    await until('the write-back pass is under way', () => emu.writes().length >= 20, 90_000, 50);
    const stopped = await Promise.all(workers.map(async (w) => ({ started: Date.now(), code: await w.stop('SIGTERM') })));
    for (const s of stopped) expect(s.code).toBe(0);
    expect(Math.max(...stopped.map((s) => Date.now() - s.started))).toBeLessThan(12_000);
    expect(await readWriteBackRun(env.redis.client, keys, 'tq')).toBeUndefined(); // the pass did not finish

    // A fresh worker takes the handed-back job over; the pass ends with exactly the enforced indicators annotated, once each.
    const last = await env.startWorker();
    await until('a write-back pass succeeds', async () => (await readWriteBackRun(env!.redis.client, keys, 'tq'))?.status === 'succeeded', 90_000, 100);
    const enforced = enforcedIds(env);
    expect(enforced.length).toBeGreaterThan(50);
    const annotated = emu.annotations();
    expect(annotated.map((a) => a.id).sort((a, b) => a - b)).toEqual(enforced);
    for (const a of annotated) {
      expect(a.tags.map((t) => t.name)).toEqual(['Blocked in Entra']);
      expect(a.attributes.map((x) => x.name)).toEqual(['Entra Block']);
    }

    // No Whitelisted address is blocked, though the collection holds some.
    const entra = new CoverIndex();
    for (const c of rangesInEntra(env.graph, 'TQ Blocked').all) entra.add(c);
    const whitelisted = [...emu.indicators(COLLECTION)].filter((r) => r.status.name === 'Whitelisted' && r.type.name === 'IP Address');
    expect(whitelisted.length).toBeGreaterThan(0);
    expect(whitelisted.filter((r) => entra.covers(r.value)).map((r) => r.value)).toEqual([]);

    // An enforced host indicator expires: the next scheduled runs hold its range in the removal grace.
    const gone = [...emu.indicators(COLLECTION)].find((r) => r.id === enforced[0]);
    if (!gone) throw new Error('unreachable');
    emu.mutate(gone.id, { status: 'Expired' });
    const range = normalizeCidr(gone.value) ?? '';
    await until('the expired range is in removal grace', async () => (await readGrace(env!.redis.client, keys, 'corp')).has(range), 60_000, 100);
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toContain(range);

    expect(await scheduler.stop('SIGTERM')).toMatchObject({ code: 0 });
    expect(await last.stop('SIGTERM')).toBe(0);
  });
});
