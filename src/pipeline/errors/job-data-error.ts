/**
 * ERR_JOB_DATA: a job's data is not what the producer (src/pipeline/producer.ts) makes: a missing or
 * ill-typed field, an unknown one, or a value the producer never queues (a reconcile with
 * `force: true`: forced runs are `tq-entra apply --force`, in process). Not retryable: the job fails
 * at once and nothing is written (the worker checks before the stage runs, src/pipeline/job-data.ts).
 */
import { SyncError } from '../../errors/sync-error.ts';

export class JobDataError extends SyncError {
  constructor(queue: string, jobId: string | undefined, problem: string) {
    super('ERR_JOB_DATA', `${queue} job ${jobId ?? '(no id)'} refused: ${problem}; jobs are made by the service (tq-entra sync), not added or edited by hand`, {
      details: { queue, jobId },
    });
  }
}
