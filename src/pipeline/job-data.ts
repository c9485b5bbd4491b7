/**
 * Decoding job data in the workers: a job must carry what the producer (producer.ts) makes, because
 * Redis is not the only way in. bull-board's "add job" and "edit data" are refused by the dashboard
 * (src/dashboard/dashboard-server.ts), and this check is the second wall: a reconcile job whose data is
 * not exactly the producer's shape, or that asks for `force: true` (the producer never queues a forced
 * reconcile: safety overrides are `tq-entra apply --force`, run in process by an operator), fails with
 * ERR_JOB_DATA before the stage runs, so nothing is written.
 */
import { z } from 'zod';
import { JobDataError } from './errors/job-data-error.ts';
import { QUEUE, type ReconcileJobData } from './queues.ts';

const RECONCILE_JOB = z.strictObject({
  target: z.string().min(1),
  manual: z.boolean(),
  force: z.literal(false, { error: 'force must be false (the service never queues a forced reconcile)' }),
  trigger: z.enum(['schedule', 'manual', 'cli']),
  configFingerprint: z.string().optional(),
  runId: z.string().optional(),
  runIds: z.array(z.string()),
});

function problemOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
}

/** The reconcile job's data as the producer made it, or JobDataError. */
export function decodeReconcileJob(job: { id?: string | undefined; data: unknown }): ReconcileJobData {
  const r = RECONCILE_JOB.safeParse(job.data);
  if (!r.success) throw new JobDataError(QUEUE.reconcile, job.id, problemOf(r.error));
  return r.data as ReconcileJobData;
}
