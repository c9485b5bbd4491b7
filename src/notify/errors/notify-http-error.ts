/**
 * ERR_NOTIFY_HTTP: a notification target did not take a message. `status` is the HTTP status, 0 when
 * there was no answer (timeout, connection refused or reset: `network` names the error code). Retryable
 * by status (src/errors/error-codes.ts retryableForStatus): 408, 429, 5xx and no answer are retried with
 * the job's attempts and backoff; any other 4xx is final. The message names the target and its kind,
 * never its URL (a webhook URL is a credential).
 */
import { SyncError } from '../../errors/sync-error.ts';

export interface NotifyFailure {
  /** The `notify:` target's name. */
  target: string;
  kind: string;
  status: number;
  /** The network error's code (ETIMEDOUT, ECONNREFUSED, …) when status is 0. */
  network?: string | undefined;
}

export class NotifyHttpError extends SyncError {
  readonly status: number;

  constructor(f: NotifyFailure) {
    const what = f.status === 0 ? `no answer (${f.network ?? 'network error'})` : `HTTP ${f.status}`;
    super('ERR_NOTIFY_HTTP', `notification target "${f.target}" (${f.kind}): ${what}`, { status: f.status, details: { target: f.target, kind: f.kind, status: f.status } });
    this.status = f.status;
  }
}
