/**
 * Per-test Redis access: a unique key prefix per test and a cleanup that deletes every key under it,
 * on the suite's single Redis (REDIS_URL) or on the suite's Redis Cluster (REDIS_CLUSTER_NODES).
 *
 * Cluster variants of a test take their endpoint from `redisVariants()`/`clusterEndpoint()`:
 *   - REDIS_CLUSTER_NODES set (host:port,…; `.ci/run` always sets it, after
 *     test/cluster/start-local-cluster.sh): the variant runs, with a hash-tagged prefix
 *     (`{tqe-test:…}`, as the configuration requires on a cluster);
 *   - unset while CI is set: the test file fails at once (never a silent skip in CI);
 *   - unset and CI unset (a developer's machine): the variant is skipped, and its name says why.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { deleteKeysByPrefix } from '../../src/redis/redis-scan.ts';
import type { RedisClient } from '../../src/redis/redis-connection.ts';

export const CLUSTER_NODES_ENV = 'REDIS_CLUSTER_NODES';

/** Where a test's Redis is: the suite's single Redis, or a Redis Cluster (its seed nodes). */
export type TestRedisTarget = { kind: 'single'; url: string } | { kind: 'cluster'; nodes: string[] };

export interface TestRedis {
  /** The single Redis's URL; on a cluster, reading it throws (use `target`, `config` or `childEnv`). */
  readonly url: string;
  readonly target: TestRedisTarget;
  prefix: string;
  client: RedisClient;
  /** The `redis` section of a configuration file for this Redis and prefix. */
  config: Record<string, unknown>;
  /** Environment for a child process (REDIS_URL, or REDIS_URL emptied: it may not sit beside a cluster). */
  childEnv: Record<string, string>;
  cleanup: () => Promise<void>;
}

export function redisUrl(): string {
  return inject('redisUrl');
}

export const deleteByPrefix = deleteKeysByPrefix;

/** The suite's Redis Cluster nodes; undefined (skip) only when neither REDIS_CLUSTER_NODES nor CI is set. */
export function clusterNodes(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const nodes = (env[CLUSTER_NODES_ENV] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (nodes.length > 0) return nodes;
  if (env['CI']) {
    throw new Error(
      `${CLUSTER_NODES_ENV} is not set but CI is: the Redis Cluster variants must run in CI. Start a cluster with ` +
        `test/cluster/start-local-cluster.sh and export ${CLUSTER_NODES_ENV}=$(test/cluster/start-local-cluster.sh) (.ci/run does both)`,
    );
  }
  return undefined;
}

/** Why a cluster variant is skipped on this machine, for its name; undefined when it runs. */
export const CLUSTER_SKIP_REASON = `skipped: ${CLUSTER_NODES_ENV} unset (and CI unset); start one with test/cluster/start-local-cluster.sh`;

/** The suite's Redis Cluster as a test target; undefined when it is skipped (see the file comment). */
export function clusterTarget(): TestRedisTarget | undefined {
  const nodes = clusterNodes();
  return nodes === undefined ? undefined : { kind: 'cluster', nodes };
}

/** The single Redis and the cluster, as `[label, target | undefined]` (undefined: skip that variant). */
export function redisVariants(): [label: string, target: TestRedisTarget | undefined][] {
  const cluster = clusterTarget();
  return [
    ['single Redis', { kind: 'single', url: redisUrl() }],
    [cluster ? 'Redis Cluster' : `Redis Cluster (${CLUSTER_SKIP_REASON})`, cluster],
  ];
}

function clusterNode(n: string): { host: string; port: number } {
  const [host = '127.0.0.1', port = '6379'] = n.split(':');
  return { host, port: Number(port) };
}

/** `target` defaults to the suite's Redis; a URL string is a single Redis (a chaos test's own redis-server). */
export function testRedis(label = 'test', target: string | TestRedisTarget = redisUrl()): TestRedis {
  const t: TestRedisTarget = typeof target === 'string' ? { kind: 'single', url: target } : target;
  const id = `tqe-test:${label}:${randomUUID().slice(0, 8)}`;
  const prefix = t.kind === 'cluster' ? `{${id}}` : id;
  const client: RedisClient = t.kind === 'cluster' ? new Cluster(t.nodes.map(clusterNode), { redisOptions: { maxRetriesPerRequest: null } }) : new Redis(t.url, { maxRetriesPerRequest: null });
  return {
    get url(): string {
      if (t.kind === 'cluster') throw new Error('this test runs on a Redis Cluster: use target, config or childEnv, not url');
      return t.url;
    },
    target: t,
    prefix,
    client,
    config: t.kind === 'cluster' ? { cluster: { nodes: t.nodes }, prefix } : { url: t.url, prefix },
    childEnv: { REDIS_URL: t.kind === 'cluster' ? '' : t.url },
    cleanup: async () => {
      await deleteByPrefix(client, prefix);
      client.disconnect();
    },
  };
}
