/**
 * Redis Cluster failover mid-run: the master holding the service's hash slot is SIGKILLed while a
 * sync is in flight in two worker processes (as deployed); a replica is promoted
 * (cluster-node-timeout 2 s) and the run completes or is retried to completion. Nothing is lost (the
 * committed snapshot and Entra hold exactly the expected ranges) and nothing duplicated (one named
 * location per shard, one policy, one collect run committed, no failed job).
 *
 * The test runs on a cluster of its own (ports 7101-7106, test/cluster/start-local-cluster.sh), never
 * the suite's 7001-7006, so the kill cannot disturb tests running beside it; at the end the killed
 * node is started again and rejoins as a replica (the script restarts dead nodes and waits for three
 * masters with linked replicas), so the next run finds the cluster whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineEnv, firstStageIdOf, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { expectedRanges, qualifyingValues, whitelistValues } from '../helpers/expected-ranges.ts';
import { duplicateNames, entraPicture } from '../helpers/chaos-entra.ts';
import { keySlot, masterLinkStatus, nodePid, slotOwner, startLocalCluster } from '../helpers/local-cluster.ts';
import { until } from '../helpers/until.ts';
import { createQueues, bullConnection } from '../../src/pipeline/queues.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { readSnapshot, readSnapshotMeta } from '../../src/state/snapshot-store.ts';
import { mergeCidrs } from '../../src/ranges/index.ts';

const BASE = 7101;
const COLLECTION = '6d4c1f0e2b9a8c7d';
const LOCATION = 'TQ Blocked';
let nodes: string[] = [];
let env: PipelineEnv | undefined;

beforeAll(async () => {
  nodes = await startLocalCluster(BASE);
}, 120_000);

afterAll(async () => {
  await env?.close();
  // Restart the killed master: it rejoins as a replica of the promoted one.
  await startLocalCluster(BASE);
}, 120_000);

describe('Redis Cluster failover', () => {
  it('the master of the service slot is killed mid-run: a replica takes over, the run completes, nothing lost or duplicated', { timeout: 180_000 }, async () => {
    env = await startPipelineEnv({
      redis: { kind: 'cluster', nodes },
      threatq: [{ name: 'tq', options: { generate: { count: 4000, seed: 31 } }, collections: [{ id: COLLECTION }] }],
      target: { objectsPerRun: 200, namedLocation: { name: LOCATION, maxRangesPerLocation: 400 } },
    });
    const e = env;
    // Slow pages: the collect/ingest phase lasts a few seconds, long enough to kill a master in it.
    e.threatq['tq']?.addFault({ match: { path: '/api/indicators/query/hash/' }, delayMs: 400, times: 1_000_000 });
    const slot = await keySlot(BASE, e.redis.prefix);
    const owner = await slotOwner(BASE, slot);
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    expect(owner.replicas.length).toBeGreaterThan(0);
    await until('every replica of the slot master in sync (master_link_status:up)', async () => (await Promise.all(owner.replicas.map((r) => masterLinkStatus(r.port)))).every((s) => s === 'up'));

    const workers = await Promise.all([e.startWorker(), e.startWorker()]);
    const syncing = e.cli(['sync', '--target', 'corp', '--wait', '--timeout', '150s'], { timeoutMs: 170_000 });
    await until('the collect run under way', async () => (await firstStageIdOf(e)) !== undefined, 60_000);
    const killedAt = Date.now();
    process.kill(nodePid(BASE, owner.master.port), 'SIGKILL');
    const survivor = owner.replicas[0]?.port ?? BASE;
    await until('a replica promoted to master of the slot', async () => (await slotOwner(survivor, slot).catch(() => undefined))?.master.id !== owner.master.id, 30_000, 100);
    console.log(`failover: master ${owner.master.address} (slot ${slot}) killed; a replica took over within ${Date.now() - killedAt} ms`);

    const sync = await syncing;
    expect(sync.code, [sync.stdout, sync.stderr, ...workers.map((w) => w.output())].join('\n')).toBe(0);
    const tq = e.threatq['tq'];
    if (!tq) throw new Error('unreachable');
    const expected = expectedRanges(qualifyingValues(tq, COLLECTION), { whitelist: whitelistValues(tq, COLLECTION) });

    // Nothing lost: the committed snapshot and Entra hold the expected ranges.
    const keys = stateKeys(e.config.redis.prefix);
    const snapshot = await readSnapshot(e.redis.client, keys, 'tq', COLLECTION);
    // The snapshot holds the run's ranges before the whitelist (subtracted at reconcile).
    expect(mergeCidrs(snapshot?.entries.map((r) => r.cidr) ?? [])).toEqual(mergeCidrs(expectedRanges(qualifyingValues(tq, COLLECTION))));
    const picture = entraPicture(e.graph);
    const ours = picture.locations.filter((l) => l.displayName === LOCATION || l.displayName.startsWith(`${LOCATION} (`));
    expect(mergeCidrs(ours.flatMap((l) => l.ranges))).toEqual(expected);

    // Nothing duplicated: one location per shard name, one policy, one collect run committed, no failed job.
    expect(duplicateNames(e.graph)).toEqual({ locations: [], policies: [] });
    expect(new Set(ours.map((l) => l.displayName)).size).toBe(ours.length);
    expect(picture.policies).toHaveLength(1);
    const meta = await readSnapshotMeta(e.redis.client, keys, 'tq', COLLECTION);
    const connection = bullConnection(e.config.redis);
    const queues = createQueues(connection, e.config.redis.prefix);
    try {
      expect(await queues.collect.getJobCounts('completed', 'failed')).toEqual({ completed: 1, failed: 0 });
      expect((await queues.reconcile.getJobCounts('failed')).failed).toBe(0);
      const collect = (await queues.collect.getJobs(['completed']))[0];
      expect(meta?.runId).toBe(collect?.data.runId);
    } finally {
      await queues.close();
      connection.disconnect();
    }
  });
});
