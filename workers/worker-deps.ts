/**
 * What every processor gets: the validated configuration, a Redis connection for the service's own
 * state, the state keys, the queues (to add children and reconciles) and a logger. Built once per
 * worker process (workers/worker-main.ts) and passed in, so tests can build their own.
 */
import type { Redis } from 'ioredis';
import type { Config, SourceConfig, TargetConfig } from '../src/config/schema.ts';
import type { Logger } from '../src/observability/logger.ts';
import type { Queues } from '../src/pipeline/queues.ts';
import type { StateKeys } from '../src/pipeline/redis-keys.ts';
import { SyncError } from '../src/errors/sync-error.ts';

export interface WorkerDeps {
  config: Config;
  redis: Redis;
  keys: StateKeys;
  queues: Queues;
  logger: Logger;
}

export class UnknownNameError extends SyncError {
  constructor(kind: 'source' | 'target', name: string) {
    super(`ERR_UNKNOWN_${kind.toUpperCase()}`, `no ${kind} named "${name}" in the configuration (it may have been removed since the job was queued)`, {
      retryable: false,
    });
  }
}

export function findSource(config: Config, name: string): SourceConfig {
  const s = config.sources.find((x) => x.name === name);
  if (!s) throw new UnknownNameError('source', name);
  return s;
}

export function findTarget(config: Config, name: string): TargetConfig {
  const t = config.targets.find((x) => x.name === name);
  if (!t) throw new UnknownNameError('target', name);
  return t;
}
