/**
 * A collect run whose job failed for good is recorded as failed in the run store, with its error code
 * and message (the run id is in the job's data; a run already finished is left as it is). The code is
 * the error's `code` field (ERR_RUN_FAILED for a throw that is not a SyncError), never read from text.
 */
import { coerceError } from '../src/errors/sync-error.ts';
import { readRun, writeRun } from '../src/pipeline/run-store.ts';
import type { StageDeps } from '../src/pipeline/stages/stage-deps.ts';
import { describeError, jobErrorCode } from './job-signals.ts';

export async function markRunFailed(deps: StageDeps, runId: string, error: Error): Promise<void> {
  try {
    const run = await readRun(deps.redis, deps.keys, runId);
    if (!run || run.status !== 'running') return;
    const code = jobErrorCode(error);
    await writeRun(deps.redis, deps.keys, { ...run, status: 'failed', finishedAt: new Date().toISOString(), error: { code, message: describeError(error) } });
  } catch (e) {
    deps.logger.error('could not record the failed run', { runId, error: describeError(coerceError(e)) });
  }
}
