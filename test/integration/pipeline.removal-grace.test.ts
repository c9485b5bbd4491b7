/**
 * Removal grace end to end, as deployed: a `tq-entra worker` process, `tq-entra sync --wait`, `plan`
 * and `report` as separate processes, a file source feeding one target with a removalGrace of a few
 * seconds, the Graph emulator's request log counting the writes. A range dropped from the file and
 * restored within the grace makes zero Graph writes; dropped for longer, it goes in exactly one write;
 * `plan` and `report` show the ranges in grace with their expiry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readGrace } from '../../src/state/grace-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { until } from '../helpers/until.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const GRACE_MS = 15_000;
/** 40 public addresses that never merge: 11.1.0.1, 11.1.0.3, … */
const ALL = Array.from({ length: 40 }, (_, i) => `11.1.0.${i * 2 + 1}`);
const DROPPED = ALL.slice(5, 8);
const WITHOUT = ALL.filter((a) => !DROPPED.includes(a));
const cidrs = (addrs: readonly string[]) => addrs.map((a) => `${a}/32`);

function graphWrites(e: PipelineEnv): string[] {
  return e.graph.requests({ kind: 'graph' }).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.status}`);
}

function rangesInEntra(e: PipelineEnv): string[] {
  const locations = e.graph.state().namedLocations as unknown as { ipRanges: { cidrAddress: string }[] }[];
  return locations.flatMap((l) => l.ipRanges.map((r) => r.cidrAddress)).sort();
}

describe('pipeline: removal grace across processes', () => {
  it('dropped and restored within the grace: zero Graph writes; dropped for longer: one write; plan and report show the grace', async () => {
    env = await startPipelineEnv({
      files: [{ name: 'feed', lines: ALL }],
      target: { removalGrace: `${GRACE_MS / 1000}s` },
      config: { pipeline: { reconcileWindow: '0s' } },
    });
    const e = env;
    const keys = stateKeys(e.config.redis.prefix);
    const worker = await e.startWorker();
    const sync = async () => {
      const r = await e.cli(['sync', '--target', 'corp', '--wait']);
      expect(r.code, r.stdout + r.stderr + worker.output()).toBe(0);
    };
    await sync();
    expect(rangesInEntra(e)).toEqual(cidrs(ALL).sort());

    // Dropped: held, nothing written; plan and report name the ranges with their expiry.
    e.graph.clearRequests();
    e.writeFile('feed', WITHOUT);
    await sync();
    expect(graphWrites(e)).toEqual([]);
    const record = await readGrace(e.redis.client, keys, 'corp');
    expect([...record.keys()].sort()).toEqual(cidrs(DROPPED).sort());
    const expiresAt = new Date(Math.min(...record.values()) + GRACE_MS).toISOString();
    const plan = await e.cli(['plan', '--target', 'corp']);
    expect(plan.stdout).toContain('In removal grace (15s): 3 range(s)');
    for (const c of cidrs(DROPPED)) expect(plan.stdout).toMatch(new RegExp(`${c.replace(/\./g, '\\.')}  expires \\d{4}-`));
    const report = await e.cli(['report', '--target', 'corp']);
    expect(report.stdout).toContain('in removal grace: 3 range(s)');
    expect(report.stdout).toContain(`expires ${expiresAt}`);

    // Restored within the grace: still nothing written, the record empty again.
    e.writeFile('feed', ALL);
    await sync();
    expect(Date.now(), 'the restore must land within the grace for this test to mean anything').toBeLessThan(Date.parse(expiresAt));
    expect(graphWrites(e)).toEqual([]);
    expect(await readGrace(e.redis.client, keys, 'corp')).toEqual(new Map());
    expect(rangesInEntra(e)).toEqual(cidrs(ALL).sort());

    // Dropped again, for longer than the grace: removed in one write by the first run after it.
    e.writeFile('feed', WITHOUT);
    await sync();
    expect(graphWrites(e)).toEqual([]);
    const since = Math.max(...(await readGrace(e.redis.client, keys, 'corp')).values());
    await until('the removal grace to run out', () => Date.now() > since + GRACE_MS, GRACE_MS + 30_000, 200);
    await sync();
    expect(graphWrites(e)).toEqual(['PATCH 204']);
    expect(rangesInEntra(e)).toEqual(cidrs(WITHOUT).sort());
    expect(await readGrace(e.redis.client, keys, 'corp')).toEqual(new Map());
  }, 180_000);
});
