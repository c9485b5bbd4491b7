/**
 * What every processor gets: the validated configuration, a Redis connection for the service's own
 * state, the state keys, the queues (to add children and reconciles) and a logger. Built once per
 * worker process (workers/worker-main.ts) and passed in, so tests can build their own.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/schema.ts';
import type { Logger } from '../src/observability/logger.ts';
import type { Queues } from '../src/pipeline/queues.ts';
import type { StateKeys } from '../src/pipeline/redis-keys.ts';

export interface WorkerDeps {
  config: Config;
  redis: Redis;
  keys: StateKeys;
  queues: Queues;
  logger: Logger;
}

export { findSource, findTarget } from '../src/config/find-target.ts';
