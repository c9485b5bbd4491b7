/**
 * Write-back to ThreatQ end to end, in the process topology operators run: a `tq-entra worker`
 * process, `tq-entra sync` processes, the ThreatQ and Graph emulators over HTTP. After each sync the
 * write-back job tags exactly the indicators whose range Entra enforces, untags those that left,
 * survives injected 429/500s on the write endpoints, and a re-run writes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoverIndex, normalizeCidr } from '../../src/ranges/index.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readWriteBackRun, type WriteBackRunSummary } from '../../src/state/writeback-store.ts';
import type { ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { until } from '../helpers/until.ts';

const COLLECTION = '6d4c1f0e2b9a8c7d';
const IP_TYPES = new Set(['IP Address', 'IPv6 Address', 'CIDR Block']);
const SINCE = /^corp since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

function tq(e: PipelineEnv): ThreatQEmulator {
  const emu = e.threatq['tq'];
  if (!emu) throw new Error('no emulator');
  return emu;
}

/** Ids of the indicators (Active, or among `also`) whose range Entra holds now: ground truth from the emulators. */
function enforcedIds(e: PipelineEnv, also: ReadonlySet<number> = new Set()): number[] {
  const index = new CoverIndex();
  for (const c of rangesInEntra(e.graph, 'TQ Blocked').all) index.add(c);
  const out: number[] = [];
  for (const r of tq(e).indicators(COLLECTION)) {
    if (!IP_TYPES.has(r.type.name) || (r.status.name !== 'Active' && !also.has(r.id))) continue;
    const range = normalizeCidr(r.value);
    if (range !== null && index.covers(range)) out.push(r.id);
  }
  return out;
}

async function sync(e: PipelineEnv): Promise<void> {
  const r = await e.cli(['sync', '--target', 'corp', '--wait']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** The next write-back run to succeed after the one that finished at `after`. */
async function nextWriteBack(e: PipelineEnv, after: string | undefined): Promise<WriteBackRunSummary> {
  const keys = stateKeys(e.redis.prefix);
  let last: WriteBackRunSummary | undefined;
  await until('the write-back run finishes', async () => {
    last = await readWriteBackRun(e.redis.client, keys, 'tq');
    return last !== undefined && last.status === 'succeeded' && last.finishedAt !== after;
  }, 90_000, 100);
  if (last === undefined) throw new Error('unreachable');
  return last;
}

function expectAnnotatedExactly(e: PipelineEnv, ids: readonly number[]): void {
  const annotated = tq(e).annotations();
  expect(annotated.map((a) => a.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  for (const a of annotated) {
    expect(a.tags.map((t) => t.name)).toEqual(['Blocked in Entra']);
    expect(a.attributes.map((x) => x.name)).toEqual(['Entra Block']);
    expect(a.attributes[0]?.value).toMatch(SINCE);
  }
}

describe('write-back to ThreatQ, end to end', () => {
  it('tags exactly the enforced indicators, untags those removed, survives 429/500s, and a re-run writes nothing', async () => {
    env = await startPipelineEnv({
      threatq: [
        {
          name: 'tq',
          options: { idOffset: 20, generate: { count: 240, seed: 18, distribution: 'sparse' } },
          collections: [{ id: COLLECTION }],
          source: { writeBack: { requestsPerSecond: 50 } },
        },
      ],
      // An enabled policy: only a target that enforces makes an indicator "Blocked in Entra".
      target: { policy: { name: 'TQ Block', state: 'enabled' } },
      config: { pipeline: { reconcileWindow: '0s' } },
    });
    const emu = tq(env);
    const worker = await env.startWorker();

    // Run 1: every write endpoint answers 429 and 500 now and then; the transport retries them.
    emu.addFault({ match: { method: 'POST', path: '/api/indicators/' }, status: 429, retryAfter: 0, times: 4 });
    emu.addFault({ match: { method: 'POST', path: '/api/indicators/' }, status: 500, retryAfter: 0, times: 3 });
    emu.addFault({ match: { method: 'POST', path: '/api/indicators/' }, status: 500, times: 1 });
    await sync(env);
    const run1 = await nextWriteBack(env, undefined);
    const enforced1 = enforcedIds(env);
    expect(enforced1.length).toBeGreaterThan(50);
    expect(enforced1.length).toBeLessThan([...emu.indicators(COLLECTION)].length); // some are not blocked
    expectAnnotatedExactly(env, enforced1);
    expect(run1.counts).toMatchObject({ tagged: enforced1.length, attributesAdded: enforced1.length, enforced: enforced1.length });
    const faulted = emu.requests().filter((r) => r.fault && r.method === 'POST' && r.path.startsWith('/api/indicators/'));
    expect(faulted.map((r) => r.status).sort()).toEqual([429, 429, 429, 429, 500, 500, 500, 500]);
    expect(emu.writes().filter((w) => w.change === 'added')).toHaveLength(2 * enforced1.length);

    // Run 2: five blocked IP addresses expire; their ranges leave Entra and they lose tag and attribute,
    // through 500s on the DELETEs.
    const expired = new Set(enforced1.filter((id) => [...emu.indicators(COLLECTION)].find((r) => r.id === id)?.type.name === 'IP Address').slice(0, 5));
    for (const id of expired) emu.mutate(id, { status: 'Expired' });
    emu.addFault({ match: { method: 'DELETE', path: '/api/indicators/' }, status: 500, retryAfter: 0, times: 3 });
    emu.clearWrites();
    await sync(env);
    const run2 = await nextWriteBack(env, run1.finishedAt);
    const enforced2 = enforcedIds(env, expired);
    expect(enforced2).toEqual(enforced1.filter((id) => !expired.has(id)));
    expectAnnotatedExactly(env, enforced2);
    expect(run2.counts).toMatchObject({ tagged: 0, untagged: 5, attributesRemoved: 5 });
    expect(emu.writes().map((w) => `${w.method} ${w.change}`).sort()).toEqual([...Array(5).fill('DELETE removed'), ...Array(5).fill('DELETE removed')]);
    expect(emu.requests().filter((r) => r.fault && r.method === 'DELETE')).toHaveLength(3);

    // Run 3: nothing changed in ThreatQ: the collection is paged again, nothing is written.
    emu.clearWrites();
    await sync(env);
    const run3 = await nextWriteBack(env, run2.finishedAt);
    expect(emu.writes()).toEqual([]);
    expect(run3.counts).toMatchObject({ indicators: run2.counts['indicators'], tagged: 0, untagged: 0, attributesAdded: 0, attributesRemoved: 0 });
    expectAnnotatedExactly(env, enforced2);
    const report = await env.cli(['report']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(new RegExp(`write-back tq: succeeded at ${run3.finishedAt.replace(/[.]/g, '\\.')}\\n  .*tagged=0`));
    expect(worker.output()).not.toContain('"level":"error"');
  }, 180_000);
});
