/**
 * A test's own local Redis Cluster (test/cluster/start-local-cluster.sh on other ports than the
 * suite's, so killing one of its masters never disturbs other tests), and what a failover test needs
 * to read from it: which master holds a key's slot, its replicas and their link, and the node's pid.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', 'cluster', 'start-local-cluster.sh');

/** Start (or reuse, restarting any dead node) the cluster on base..base+5; its node list. */
export async function startLocalCluster(base: number): Promise<string[]> {
  const { stdout } = await run(SCRIPT, [String(base)], { timeout: 90_000 });
  return stdout.trim().split(',');
}

export interface ClusterNodeInfo {
  id: string;
  address: string;
  port: number;
  role: 'master' | 'replica';
  masterId: string | undefined;
  failed: boolean;
  slots: [number, number][];
}

async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** CLUSTER NODES as seen by the node on `port`. */
export async function clusterNodes(port: number): Promise<ClusterNodeInfo[]> {
  const text = String(await onNode(port, (r) => r.call('CLUSTER', 'NODES')));
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', addr = '', flags = '', master = '-', , , , , ...slots] = line.trim().split(' ');
      const address = addr.split('@')[0] ?? '';
      return {
        id,
        address,
        port: Number(address.split(':')[1]),
        role: flags.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? undefined : master,
        failed: /fail/.test(flags),
        slots: slots.filter((s) => !s.startsWith('[')).map((s) => s.split('-').map(Number) as [number, number]).map(([a, b]) => [a, b ?? a] as [number, number]),
      };
    });
}

export async function keySlot(port: number, key: string): Promise<number> {
  return Number(await onNode(port, (r) => r.call('CLUSTER', 'KEYSLOT', key)));
}

/** The master (seen from `port`) that serves `slot`, and its replicas. */
export async function slotOwner(port: number, slot: number): Promise<{ master: ClusterNodeInfo; replicas: ClusterNodeInfo[] } | undefined> {
  const nodes = await clusterNodes(port);
  const master = nodes.find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
  return master ? { master, replicas: nodes.filter((n) => n.masterId === master.id && !n.failed) } : undefined;
}

/** INFO replication's master_link_status of a replica ('up' when it is in sync with its master). */
export async function masterLinkStatus(port: number): Promise<string | undefined> {
  const info = await onNode(port, (r) => r.info('replication'));
  return /master_link_status:(\w+)/.exec(info)?.[1];
}

/** The pid of the cluster node on `port` (from the pid file the start script asks for). */
export function nodePid(base: number, port: number): number {
  return Number(readFileSync(`/tmp/tqe-redis-cluster-${base}/${port}/redis.pid`, 'utf8').trim());
}
