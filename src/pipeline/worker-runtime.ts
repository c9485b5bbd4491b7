/**
 * What the CLI and the demo know of the worker processes: how to start them and stop them. The
 * implementation is workers/start-workers.ts; the process entry (workers/main.ts) hands it in
 * (`main(argv, { startWorkers })` → CommandContext), so src/ never imports workers/.
 */
import type { Config } from '../config/schema.ts';
import type { QueueName } from './queues.ts';

export interface WorkerOptions {
  /** Queues to serve (default all four). */
  queues?: readonly QueueName[];
  /** Serve /metrics, /healthz, /readyz on worker.http (default true; port 0 in the config also turns it off). */
  http?: boolean;
}

export interface RunningWorkers {
  /** Stop taking jobs, let active ones finish (or hand them back when `force`), close connections. */
  close(force?: boolean): Promise<void>;
}

/**
 * Start one BullMQ Worker per served queue. Resolves once every one is ready; rejects (with nothing
 * left open) when any part of the start fails, e.g. the health server's port is taken.
 */
export type StartWorkers = (config: Config, options?: WorkerOptions) => Promise<RunningWorkers>;

/** What the process entry hands to the CLI and the demo. */
export interface WorkerRuntime {
  startWorkers: StartWorkers;
}
