/**
 * ThreatQ's whitelist and the collection thresholds end to end, in the process topology operators run:
 * a `tq-entra worker` process and `tq-entra sync` / `report` processes on one Redis, the ThreatQ and
 * Graph emulators over HTTP(S).
 * - A Whitelisted indicator of a ThreatQ collection is never blocked, although a file source has the
 *   same address (and a whitelisted address inside an Active CIDR Block cuts it); the counts are in the
 *   run records, `report` and the metrics. Once the analyst takes it off the whitelist, it is blocked.
 * - A source's whitelistCollection is paged with the run; a run that fails reading it changes neither
 *   the snapshot, the whitelist nor Entra.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatTime } from '../../src/emulators/threatq/cursor-mark.ts';
import type { SeedIndicator } from '../../src/emulators/threatq/emulator-seed.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readSnapshotMeta, readWhitelist } from '../../src/state/snapshot-store.ts';
import { lastRunId, readRun } from '../../src/pipeline/run-store.ts';
import { renderServiceMetrics } from '../../src/dashboard/metrics-export.ts';
import { subtractCidrs } from '../../src/ranges/index.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { parseExposition, sampleValue } from '../helpers/prom-parse.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const DAY_S = 86_400;
const ago = (days: number) => formatTime(Math.floor(Date.now() / 1000) - days * DAY_S);
const ind = (value: string, status: string, score: number | null = 8, days = 1): SeedIndicator => ({
  value,
  type: value.includes('/') ? 'CIDR Block' : value.includes(':') ? 'IPv6 Address' : 'IP Address',
  status,
  score,
  updated_at: ago(days),
});

function idOf(e: PipelineEnv, value: string): number {
  const row = [...(e.threatq['tq']?.indicators() ?? [])].find((r) => r.value === value);
  if (!row) throw new Error(`no indicator ${value}`);
  return row.id;
}

async function lastRun(e: PipelineEnv, kind: 'source' | 'target', name: string) {
  const keys = stateKeys(e.config.redis.prefix);
  const id = await lastRunId(e.redis.client, keys, kind, name);
  return id === null ? null : readRun(e.redis.client, keys, id);
}

describe("ThreatQ's whitelist end to end", () => {
  it('a Whitelisted indicator is never blocked though a file source has it; thresholds filter; counts reported', { timeout: 120_000 }, async () => {
    env = await startPipelineEnv({
      threatq: [
        {
          name: 'tq',
          options: {
            idOffset: 17,
            seed: {
              indicators: [
                ind('198.51.100.1', 'Active'),
                ind('203.0.113.0/24', 'Active'),
                ind('198.51.100.9', 'Whitelisted', 0, 900), // thresholds never apply to the whitelist
                ind('203.0.113.7', 'Whitelisted'),
                ind('198.51.100.3', 'Active', 2), // score:below-5
                ind('198.51.100.4', 'Active', null), // score:none
                ind('198.51.100.5', 'Active', 9, 45), // age:older-than-30d
                ind('198.51.100.6', 'Expired'), // status:Expired
              ],
              collections: { feed: {} },
            },
          },
          collections: [{ id: 'feed', minScore: 5, maxAge: '30d' }],
        },
      ],
      files: [{ name: 'list', lines: ['198.51.100.9', '198.51.100.10', '45.1.2.3'] }],
      target: { safety: { allowReserved: true } },
    });
    const e = env;
    await e.startWorker();
    const first = await e.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const blocked = rangesInEntra(e.graph, 'TQ Blocked').all;
    expect(blocked).toEqual([...subtractCidrs(['45.1.2.3', '198.51.100.1', '198.51.100.10', '203.0.113.0/24'], ['203.0.113.7'])]);
    expect(blocked).not.toContain('198.51.100.9/32');
    expect(blocked).not.toContain('203.0.113.0/24');

    const collect = await lastRun(e, 'source', 'tq/feed');
    expect(collect?.counts).toMatchObject({ seen: 8, kept: 2 });
    expect(collect?.details?.['filtered']).toEqual({ 'score:below-5': 1, 'score:none': 1, 'age:older-than-30d': 1, 'status:Expired': 1 });
    expect(collect?.details).toMatchObject({ whitelisted: 2, whitelistRanges: 2, whitelistRejected: {} });
    const reconcile = await lastRun(e, 'target', 'corp');
    expect(reconcile?.counts).toMatchObject({ whitelistRanges: 2, whitelistCut: 2 });
    expect(reconcile?.details?.['whitelist']).toEqual([{ label: 'tq/feed', ranges: 2 }]);

    const report = await e.cli(['report', '--target', 'corp']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('filtered out by reason:');
    expect(report.stdout).toMatch(/score:below-5\s+1/);
    expect(report.stdout).toMatch(/age:older-than-30d\s+1/);
    expect(report.stdout).toContain('whitelist: 2 entries -> 2 ranges committed');
    expect(report.stdout).toContain('whitelist: held 2 ranges, cut 2 desired ranges (tq/feed 2)');

    const m = parseExposition(await renderServiceMetrics(e.redis.client, e.config.redis.prefix, []));
    const metric = (outcome: string, reason: string) => sampleValue(m, 'tq_entra_indicators_total', { source: 'tq', collection: 'feed', outcome, reason });
    expect(metric('filtered', 'score:below-5')).toBe(1);
    expect(metric('filtered', 'age:older-than-30d')).toBe(1);
    expect(metric('whitelisted', '')).toBe(2);

    // The analyst takes 198.51.100.9 off ThreatQ's whitelist: the next run of the source lets the file block it.
    e.threatq['tq']?.mutate(idOf(e, '198.51.100.9'), { status: 'Expired' });
    const second = await e.cli(['sync', '--source', 'tq', '--wait']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toContain('198.51.100.9/32');
    expect((await lastRun(e, 'target', 'corp'))?.counts).toMatchObject({ whitelistRanges: 1, whitelistCut: 1 });
  });

  it('whitelistCollection is paged with each run; a run that cannot read it changes neither snapshot, whitelist nor Entra', { timeout: 120_000 }, async () => {
    env = await startPipelineEnv({
      threatq: [
        {
          name: 'tq',
          options: {
            idOffset: 23,
            seed: {
              indicators: [ind('23.1.2.3', 'Active'), ind('45.1.2.3', 'Whitelisted'), ind('45.1.2.4', 'Whitelisted'), ind('45.1.2.5', 'Active')],
              collections: { feed: { predicate: { statuses: ['Active'] } }, wl: { predicate: { statuses: ['Whitelisted'] } } },
            },
          },
          collections: [{ id: 'feed' }],
          source: { whitelistCollection: 'wl' },
        },
      ],
      files: [{ name: 'list', lines: ['45.1.2.3', '45.1.2.4', '46.0.0.1'] }],
    });
    const e = env;
    const keys = stateKeys(e.config.redis.prefix);
    await e.startWorker();
    const first = await e.cli(['sync', '--target', 'corp', '--wait']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(['23.1.2.3/32', '45.1.2.5/32', '46.0.0.1/32']);
    expect(await readWhitelist(e.redis.client, keys, 'tq', 'feed')).toEqual(['45.1.2.3/32', '45.1.2.4/32']);
    expect((await lastRun(e, 'source', 'tq/feed'))?.details).toMatchObject({ whitelisted: 2, whitelistRanges: 2 });
    expect((await lastRun(e, 'target', 'corp'))?.counts).toMatchObject({ whitelistRanges: 2, whitelistCut: 2 });

    // 45.1.2.4 leaves the whitelist (it is Active now), but the whitelist collection cannot be read.
    const tq = e.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    tq.mutate(idOf(e, '45.1.2.4'), { status: 'Active' });
    tq.addFault({ match: { path: '/api/indicators/query/hash/wl' }, status: 404, times: 1 });
    const snapshotBefore = await readSnapshotMeta(e.redis.client, keys, 'tq', 'feed');
    const writesBefore = e.graph.requests({ kind: 'graph' }).filter((r) => r.method !== 'GET').length;
    const failed = await e.cli(['sync', '--source', 'tq', '--wait']);
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(await lastRun(e, 'source', 'tq/feed')).toMatchObject({ status: 'failed', error: { code: 'ERR_THREATQ_NOT_FOUND' } });
    expect(await readSnapshotMeta(e.redis.client, keys, 'tq', 'feed')).toEqual(snapshotBefore);
    expect(await readWhitelist(e.redis.client, keys, 'tq', 'feed')).toEqual(['45.1.2.3/32', '45.1.2.4/32']);
    expect(e.graph.requests({ kind: 'graph' }).filter((r) => r.method !== 'GET')).toHaveLength(writesBefore);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(['23.1.2.3/32', '45.1.2.5/32', '46.0.0.1/32']);

    // Readable again: the new whitelist and snapshot commit together.
    const healed = await e.cli(['sync', '--source', 'tq', '--wait']);
    expect(healed.code, healed.stdout + healed.stderr).toBe(0);
    expect(await readWhitelist(e.redis.client, keys, 'tq', 'feed')).toEqual(['45.1.2.3/32']);
    expect(rangesInEntra(e.graph, 'TQ Blocked').all).toEqual(['23.1.2.3/32', '45.1.2.4/31', '46.0.0.1/32']);
  });
});
