/**
 * The write-back stage against a real Redis and the ThreatQ emulator (no worker process): several
 * targets fed by one collection (enforced while any target is, one attribute per target), one record
 * and one pass per source over all its collections, report-only targets that enforce nothing,
 * `onRemoval: tag`, the sweep of indicators that left the collection, the skipped pass, a refused
 * write (stopping on 403, skipping one indicator on 422), an indicator deleted meanwhile (404), the
 * pace per ThreatQ instance, and the record's Redis memory per indicator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ThreatQSourceConfig } from '../../src/config/schema.ts';
import { startThreatQEmulator, type ThreatQEmulator } from '../../src/emulators/threatq/threatq-emulator.ts';
import { captureLogs, getLogger } from '../../src/observability/logger.ts';
import { metricKeys } from '../../src/observability/metrics-keys.ts';
import { createQueues, type Queues } from '../../src/pipeline/queues.ts';
import type { WriteBackJobData } from '../../src/pipeline/queues.ts';
import { runWriteBack } from '../../src/pipeline/stages/writeback/run-writeback.ts';
import { createWriteBackPacer, writeBackPaceOf } from '../../src/pipeline/stages/writeback/writeback-pacer.ts';
import type { StageDeps } from '../../src/pipeline/stages/stage-deps.ts';
import type { StageJob } from '../../src/pipeline/stages/stage-job.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readWriteBackRun, writeWriteBackEntries, type WriteBackEntry } from '../../src/state/writeback-store.ts';
import { describeError } from '../../workers/job-signals.ts';
import { baseTarget, configFrom } from '../helpers/config-fixtures.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

const COLLECTION = '6d4c1f0e2b9a8c7d';
const SECOND = 'a1b2c3d4e5f6';
const IDS = { a: 501, b: 502, c: 503, d: 504, e: 505, f: 506 };

let emu: ThreatQEmulator;
let r: TestRedis;
let queues: Queues;

beforeEach(async () => {
  emu = await startThreatQEmulator({
    seed: {
      indicators: [
        { id: IDS.a, value: '203.0.113.10', type: 'IP Address', status: 'Active' },
        { id: IDS.b, value: '198.51.100.7', type: 'IP Address', status: 'Active' },
        { id: IDS.c, value: '192.0.2.1', type: 'IP Address', status: 'Active' },
        { id: IDS.d, value: '2001:db8::1', type: 'IPv6 Address', status: 'Active' },
        { id: IDS.e, value: '203.0.113.99', type: 'IP Address', status: 'Expired' },
        { id: IDS.f, value: 'not-an-ip', type: 'IP Address', status: 'Active' },
      ],
      collections: { [COLLECTION]: {}, [SECOND]: { indicatorIds: [IDS.a, IDS.b] } },
    },
  });
  r = testRedis('writeback-stage');
  queues = createQueues(r.client, r.prefix);
});

afterEach(async () => {
  await queues.close();
  await r.cleanup();
  await emu.close();
});

const ENABLED = { state: 'enabled' };

interface ConfigOptions {
  /** Per target, its policy block (default: enabled). */
  policies?: Record<string, Record<string, unknown>>;
  collections?: { id: string; targets: string[] }[];
}

function config(writeBack: Record<string, unknown> = {}, o: ConfigOptions = {}): Config {
  const c = emu.clients[0];
  const policy = (t: string, name: string) => ({ name, ...(o.policies?.[t] ?? ENABLED) });
  return configFrom({
    redis: { url: r.url, prefix: r.prefix },
    sources: [
      {
        name: 'tq',
        kind: 'threatq',
        url: emu.url,
        auth: { grant: 'client_credentials', clientId: c?.clientId, clientSecret: c?.clientSecret },
        collections: o.collections ?? [{ id: COLLECTION, targets: ['t1', 't2'] }],
        writeBack: { requestsPerSecond: 50, ...writeBack },
      },
    ],
    targets: [baseTarget({ policy: policy('t1', 'TQ Block') }), baseTarget({ name: 't2', policy: policy('t2', 'TQ Block t2') })],
  });
}

function deps(cfg: Config): StageDeps {
  return { config: cfg, redis: r.client, keys: stateKeys(r.prefix), queues, logger: getLogger('test'), describeError };
}

/** A job as the stage sees it (a BullMQ job satisfies the same interface). */
function job(): StageJob<WriteBackJobData> {
  const j = {
    id: '1',
    data: { source: 'tq', targets: ['t1'] } as WriteBackJobData,
    attemptsStarted: 1,
    updateData: async (d: WriteBackJobData) => void (j.data = d),
    updateProgress: async () => undefined,
  };
  return j;
}

async function own(target: string, ...ranges: string[]): Promise<void> {
  await r.client.sadd(stateKeys(r.prefix).owned(target), ...ranges);
}

async function disown(target: string, ...ranges: string[]): Promise<void> {
  await r.client.srem(stateKeys(r.prefix).owned(target), ...ranges);
}

/** Indicator id → its tag names and attribute values. */
function annotations(): Record<number, { tags: string[]; attributes: string[] }> {
  return Object.fromEntries(emu.annotations().map((a) => [a.id, { tags: a.tags.map((t) => t.name), attributes: a.attributes.map((x) => `${x.name}=${x.value}`) }]));
}

describe('write-back stage', () => {
  it('tags what any target enforces, with one attribute per enforcing target; a target that stops loses only its attribute', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.0/24', '198.51.100.7/32');
    await own('t2', '198.51.100.0/24', '2001:db8::/48');
    const first = await runWriteBack(job(), d);
    expect(first).toMatchObject({ status: 'succeeded', indicators: 5, enforced: 3, tagged: 3, attributesAdded: 4 });
    const a = annotations();
    expect(Object.keys(a).map(Number).sort()).toEqual([IDS.a, IDS.b, IDS.d]);
    expect(a[IDS.b]?.tags).toEqual(['Blocked in Entra']);
    expect(a[IDS.b]?.attributes).toEqual([expect.stringMatching(/^Entra Block=t1 since \S+Z$/), expect.stringMatching(/^Entra Block=t2 since \S+Z$/)]);

    await disown('t1', '198.51.100.7/32');
    emu.clearWrites();
    const second = await runWriteBack(job(), d);
    expect(second).toMatchObject({ tagged: 0, untagged: 0, attributesRemoved: 1 });
    expect(annotations()[IDS.b]).toEqual({ tags: ['Blocked in Entra'], attributes: [expect.stringMatching(/^Entra Block=t2 since /)] });
    expect(emu.writes()).toHaveLength(1);

    await disown('t2', '198.51.100.0/24');
    await runWriteBack(job(), d);
    expect(annotations()[IDS.b]).toBeUndefined();
  });

  it('a pass whose record was lost (an attempt stopped after ThreatQ took its POSTs) adopts the attributes already there: none twice', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.0/24', '198.51.100.7/32');
    expect(await runWriteBack(job(), d)).toMatchObject({ tagged: 2, attributesAdded: 2 });
    const before = annotations();
    await r.client.del(stateKeys(r.prefix).writeBack('tq'));
    emu.clearWrites();
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'succeeded', enforced: 2 });
    expect(annotations()).toEqual(before);
    expect(emu.writes().filter((w) => w.kind === 'attribute' && w.change === 'added')).toEqual([]);
  });

  it('skips a pass whose inputs are unchanged: no ThreatQ request at all', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.0/24');
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'succeeded', tagged: 1 });
    emu.clearRequests();
    const again = await runWriteBack(job(), d);
    expect(again).toMatchObject({ status: 'skipped', reason: 'nothing changed since the last complete pass', indicators: 0 });
    expect(emu.requests()).toEqual([]);
    expect((await readWriteBackRun(r.client, stateKeys(r.prefix), 'tq'))?.status).toBe('skipped');
  });

  it('judges an indicator that left the collection by its recorded range (the sweep)', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.0/24');
    await runWriteBack(job(), d);
    emu.mutate(IDS.a, { status: 'Expired' });
    await own('t2', '2001:db8::/48'); // another input changes: not a skipped pass
    const still = await runWriteBack(job(), d);
    expect(still).toMatchObject({ indicators: 4, swept: 2, untagged: 0 });
    expect(annotations()[IDS.a]?.tags).toEqual(['Blocked in Entra']);
    await disown('t1', '203.0.113.0/24');
    expect(await runWriteBack(job(), d)).toMatchObject({ untagged: 1, attributesRemoved: 1 });
    expect(annotations()[IDS.a]).toBeUndefined();
  });

  it('onRemoval tag: marks an indicator that left Entra, once, and unmarks it when it comes back', async () => {
    const d = deps(config({ onRemoval: 'tag' }));
    await own('t1', '203.0.113.10/32');
    await runWriteBack(job(), d);
    await disown('t1', '203.0.113.10/32');
    expect(await runWriteBack(job(), d)).toMatchObject({ untagged: 1, removedTagged: 1, attributesUpdated: 1 });
    expect(annotations()[IDS.a]).toEqual({ tags: ['Unblocked in Entra'], attributes: [expect.stringMatching(/^Entra Block=t1 since \S+Z, removed \S+Z$/)] });
    await own('t2', '2001:db8::/48');
    emu.clearWrites();
    await runWriteBack(job(), d);
    expect(emu.writes().filter((w) => w.indicatorId === IDS.a)).toEqual([]);
    await own('t1', '203.0.113.10/32');
    expect(await runWriteBack(job(), d)).toMatchObject({ tagged: 1, attributesUpdated: 1 });
    expect(annotations()[IDS.a]).toEqual({ tags: ['Blocked in Entra'], attributes: [expect.stringMatching(/^Entra Block=t1 since \S+Z$/)] });
  });

  it('fails on a refused write with ERR_THREATQ_WRITE_REFUSED, reported in the record and the metrics', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.0/24');
    emu.addFault({ match: { method: 'POST', path: '/api/indicators/' }, status: 403, times: 1 });
    await expect(runWriteBack(job(), d)).rejects.toMatchObject({ code: 'ERR_THREATQ_WRITE_REFUSED', message: expect.stringMatching(/Primary Contributor/) });
    const last = await readWriteBackRun(r.client, stateKeys(r.prefix), 'tq');
    expect(last).toMatchObject({ status: 'failed', error: { code: 'ERR_THREATQ_WRITE_REFUSED' } });
    expect(await r.client.hget(metricKeys(r.prefix).runs, JSON.stringify(['writeback', 'failed']))).toBe('1');
    expect(await r.client.hget(metricKeys(r.prefix).threatqWrites, JSON.stringify(['tq', 'POST', '403']))).toBe('1');
    const retried = { ...job(), attemptsStarted: 2 };
    expect(await runWriteBack(retried, d)).toMatchObject({ status: 'succeeded', tagged: 1, attributesAdded: 1 });
    expect(await r.client.hget(metricKeys(r.prefix).threatqWrites, JSON.stringify(['tq', 'POST', '201']))).toBe('2');
    expect(await r.client.hget(metricKeys(r.prefix).runs, JSON.stringify(['writeback', 'succeeded']))).toBe('1');
  });

  it('one record and one pass per source: an indicator in two collections gets one tag and one attribute per enforcing target', async () => {
    // b (198.51.100.7) is in both collections; t2 is fed only by SECOND, t1 only by COLLECTION.
    const d = deps(config({}, { collections: [{ id: COLLECTION, targets: ['t1'] }, { id: SECOND, targets: ['t2'] }] }));
    await own('t1', '198.51.100.7/32');
    await own('t2', '198.51.100.0/24');
    const first = await runWriteBack(job(), d);
    expect(first).toMatchObject({ status: 'succeeded', collections: 2, indicators: 5, enforced: 1, tagged: 1, attributesAdded: 2 });
    expect(annotations()).toEqual({
      [IDS.b]: { tags: ['Blocked in Entra'], attributes: [expect.stringMatching(/^Entra Block=t1 since /), expect.stringMatching(/^Entra Block=t2 since /)] },
    });
    expect(emu.writes().filter((w) => w.method === 'POST')).toHaveLength(3);
    const keys = await r.client.keys(`${r.prefix}:state:wb:*`);
    expect(keys).toEqual([stateKeys(r.prefix).writeBack('tq')]);

    // t1 stops: b keeps its tag (t2 still enforces it through the other collection), loses t1's attribute.
    await disown('t1', '198.51.100.7/32');
    emu.clearWrites();
    expect(await runWriteBack(job(), d)).toMatchObject({ untagged: 0, attributesRemoved: 1 });
    expect(annotations()[IDS.b]).toEqual({ tags: ['Blocked in Entra'], attributes: [expect.stringMatching(/^Entra Block=t2 since /)] });
  });

  it('skips the pass only while every collection of the source is unchanged', async () => {
    const d = deps(config({}, { collections: [{ id: COLLECTION, targets: ['t1'] }, { id: SECOND, targets: ['t1'] }] }));
    await own('t1', '203.0.113.0/24');
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'succeeded', tagged: 1 });
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'skipped' });
    await r.client.hset(stateKeys(r.prefix).snapshotMeta('tq', SECOND), { runId: 'run-2', committedAt: new Date().toISOString() });
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'succeeded', collections: 2, tagged: 0 });
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'skipped' });
  });

  it('only targets whose policy is enabled count: a report-only or disabled target tags nothing', async () => {
    const notEnforcing = { t1: { state: 'enabledForReportingButNotEnforced' }, t2: { state: 'disabled' } };
    await own('t1', '203.0.113.0/24');
    await own('t2', '198.51.100.0/24');
    const quiet = await runWriteBack(job(), deps(config({}, { policies: notEnforcing })));
    expect(quiet).toMatchObject({ status: 'succeeded', indicators: 5, enforced: 0, tagged: 0, attributesAdded: 0, ownedRanges: 0 });
    expect(emu.writes()).toEqual([]);

    // Enabled: tagged; switched back to report-only: untagged.
    expect(await runWriteBack(job(), deps(config()))).toMatchObject({ tagged: 2 });
    expect(await runWriteBack(job(), deps(config({}, { policies: { t1: notEnforcing.t1 } })))).toMatchObject({ untagged: 1, attributesRemoved: 1 });
    expect(Object.keys(annotations()).map(Number)).toEqual([IDS.b]);
  });

  it('skips an indicator ThreatQ refuses (422), counts and logs it, writes the rest, and retries it next time', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.10/32', '198.51.100.7/32');
    emu.addFault({ match: { method: 'POST', path: `/api/indicators/${IDS.a}/` }, status: 422, times: 1 });
    const logs = captureLogs();
    let first;
    try {
      first = await runWriteBack(job(), d);
      expect(logs.text()).toContain('ThreatQ refused a write-back on one indicator; skipped');
      expect(logs.text()).toContain(`"indicatorId":"${IDS.a}"`);
    } finally {
      logs.stop();
    }
    expect(first).toMatchObject({ status: 'succeeded', refused: 1, tagged: 1, attributesAdded: 1 });
    expect(Object.keys(annotations()).map(Number)).toEqual([IDS.b]);
    expect((await readWriteBackRun(r.client, stateKeys(r.prefix), 'tq'))?.counts).toMatchObject({ refused: 1 });
    // Not a complete pass: the next job is not skipped and writes the refused indicator.
    expect(await runWriteBack(job(), d)).toMatchObject({ status: 'succeeded', refused: 0, tagged: 1, attributesAdded: 1 });
    expect(Object.keys(annotations()).map(Number).sort()).toEqual([IDS.a, IDS.b]);
  });

  it('forgets an indicator deleted in ThreatQ meanwhile (404 on its write) and goes on with the others', async () => {
    const d = deps(config());
    await own('t1', '203.0.113.10/32', '198.51.100.7/32');
    emu.addFault({ match: { method: 'POST', path: `/api/indicators/${IDS.a}/` }, status: 404, times: 1 });
    const first = await runWriteBack(job(), d);
    expect(first).toMatchObject({ status: 'succeeded', gone: 1, refused: 0, tagged: 1, attributesAdded: 1 });
    expect(Object.keys(annotations()).map(Number)).toEqual([IDS.b]);
    expect(await r.client.hexists(stateKeys(r.prefix).writeBack('tq'), String(IDS.a))).toBe(0);
    expect(await r.client.hexists(stateKeys(r.prefix).writeBack('tq'), String(IDS.b))).toBe(1);
  });

  it('paces the requests of one ThreatQ instance across pacers (processes) and sources, not those of another', async () => {
    const tqs = (name: string, url: string, requestsPerSecond: number) => ({
      name,
      kind: 'threatq',
      url,
      auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' },
      collections: [{ id: COLLECTION, targets: ['t1'] }],
      writeBack: { requestsPerSecond },
    });
    const cfg = configFrom({
      sources: [tqs('east', 'https://TQ.example.com:443/', 20), tqs('east-2', 'https://tq.example.com', 10), tqs('west', 'https://tq-west.example.com', 50)],
      targets: [baseTarget()],
    });
    const paceOf = (name: string) => writeBackPaceOf(cfg, cfg.sources.find((s) => s.name === name) as ThreatQSourceConfig);
    expect(paceOf('east')).toEqual({ instance: 'https://tq.example.com', requestsPerSecond: 10 }); // the lowest on the instance
    expect(paceOf('east-2')).toEqual({ instance: 'https://tq.example.com', requestsPerSecond: 10 });
    expect(paceOf('west')).toEqual({ instance: 'https://tq-west.example.com', requestsPerSecond: 50 });

    const east = paceOf('east');
    const [a, b] = [createWriteBackPacer(r.client, r.prefix, east.instance, 20), createWriteBackPacer(r.client, r.prefix, paceOf('east-2').instance, 20)];
    const other = createWriteBackPacer(r.client, r.prefix, paceOf('west').instance, 20);
    const started = Date.now();
    await Promise.all([...Array.from({ length: 6 }, () => a()), ...Array.from({ length: 5 }, () => b())]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(480); // 11 slots 50 ms apart
    const otherStarted = Date.now();
    await other();
    expect(Date.now() - otherStarted).toBeLessThan(40);
  });

  it('measures the record: Redis bytes per annotated indicator', async () => {
    const keys = stateKeys(r.prefix);
    const set = new Map<string, WriteBackEntry>();
    const since = 1_714_557_600;
    for (let i = 0; i < 20_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
      set.set(String(1_000_000 + i), { range: ip, tag: 4242, attributes: { corp: { id: 90_000_000 + i, type: 77, since } } });
    }
    await writeWriteBackEntries(r.client, keys, { source: 'tq' }, { set, deleted: [] });
    const bytes = Number(await r.client.call('MEMORY', 'USAGE', keys.writeBack('tq'), 'SAMPLES', '0'));
    const perEntry = bytes / set.size;
    console.log(`write-back record: ${Math.round(perEntry)} bytes per indicator (tag + one attribute), ${(bytes / 1e6).toFixed(1)} MB for ${set.size}`);
    expect(perEntry).toBeLessThan(150);
  });
});
