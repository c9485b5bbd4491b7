/**
 * What every stage gets: the validated configuration, a Redis connection for the service's own
 * state, the state keys, the queues (to add children and reconciles), a logger, and the one way to
 * describe an error for a log line or a run record (secret-free `<code>: <message>`). Built once per
 * worker process by workers/start-workers.ts and passed in, so tests can build their own.
 */
import type { RedisClient } from '../../redis/redis-connection.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Queues } from '../queues.ts';
import type { StateKeys } from '../../state/redis-keys.ts';

export interface StageDeps {
  config: Config;
  redis: RedisClient;
  keys: StateKeys;
  queues: Queues;
  logger: Logger;
  /** workers/job-signals.ts `describeError`, handed in (src/ never imports workers/). */
  describeError: (err: Error) => string;
}
