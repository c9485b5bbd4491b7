/**
 * Configuration drift: a job carries the fingerprint of the configuration that produced it. A worker
 * whose own configuration differs warns once per distinct fingerprint (it goes on with its own
 * configuration; a job naming a source, collection or target it does not know fails with
 * ERR_UNKNOWN_SOURCE, ERR_SOURCE_UNKNOWN_COLLECTION or ERR_UNKNOWN_TARGET).
 */
import type { Job } from 'bullmq';
import type { Config } from '../src/config/schema.ts';
import type { Logger } from '../src/observability/logger.ts';
import { configFingerprint } from '../src/pipeline/config-fingerprint.ts';

export function driftWarning(config: Config, logger: Logger): (job: Job<{ configFingerprint?: string | undefined }>) => void {
  const mine = configFingerprint(config);
  const warned = new Set<string>();
  return (job) => {
    const theirs = job.data.configFingerprint;
    if (theirs === undefined || theirs === mine || warned.has(theirs)) return;
    warned.add(theirs);
    logger.warn('configuration drift: this job was produced from a different configuration; restart the workers after changing the configuration', {
      jobId: job.id,
      queue: job.queueName,
      jobConfig: theirs,
      workerConfig: mine,
    });
  };
}
