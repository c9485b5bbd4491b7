/**
 * The part of a queue job a stage may touch: its id, its data (rewritten as a run goes through its
 * steps, so a run picked up again after a crash resumes where it was), and its progress. A BullMQ
 * `Job` satisfies `StageJob` as it is; `CollectJob` adds what the collect stage needs of its job as
 * the parent of its ingest chunks, which src/pipeline/stages/collect/ provides. Nothing here is a BullMQ type:
 * the stages stay plain functions.
 */
export interface StageJob<T> {
  readonly id?: string | undefined;
  readonly data: T;
  /** Attempts started so far, this one included. */
  readonly attemptsStarted: number;
  updateData(data: T): Promise<void>;
  updateProgress(progress: object): Promise<void>;
}

/** The job as parent of the ingest chunks: `queue` is its queue's qualified name (prefix included). */
export interface ParentRef {
  id: string;
  queue: string;
}

export interface CollectJob<T> extends StageJob<T> {
  readonly parent: ParentRef;
  /**
   * True when children are still running: the job must then sleep until they finish (the stage
   * returns `waiting`, the worker hands the job back). False when every child is done.
   */
  moveToWaitingChildren(): Promise<boolean>;
  /**
   * Throws JobLockLostError when this worker no longer holds the job's lock (another worker may have
   * taken it over as stalled), renews it otherwise. Called before the run adds children or commits;
   * `updateData` and `updateProgress` are fenced the same way, so an attempt that lost its job never
   * overwrites what the new owner's attempt wrote.
   */
  ensureLock(doing: string): Promise<void>;
}
