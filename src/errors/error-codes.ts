/**
 * The one table of error codes: every `SyncError.code` the service raises, with what it means,
 * whether a job that fails with it is tried again, and what an operator should do.
 *
 * `ErrorCode` is derived from the table's keys, so a code that is not here (or a typo) fails the
 * typecheck. `retryable` is read by workers/job-signals.ts through `SyncError.retryable`:
 *   true        the job is retried with its attempts and backoff
 *   false       the job fails at once (BullMQ UnrecoverableError)
 *   'by-status' the error carries an HTTP status and decides per instance (`retryableForStatus`)
 * README.md's "Troubleshooting by error code" table is rendered from here (render-error-table.ts)
 * and test/unit/errors.error-table.test.ts checks that it is in step.
 */

/** Marker for codes whose retryability follows the HTTP status the error carries. */
export const BY_STATUS = 'by-status';

export interface ErrorCodeInfo {
  /** What happened, in one line (README "meaning"). */
  readonly meaning: string;
  /** Whether a job failing with this code runs again; `'by-status'`: see `retryableForStatus`. */
  readonly retryable: boolean | typeof BY_STATUS;
  /** What the operator should do (README "what to do"). */
  readonly action: string;
}

export const ERROR_CODES = {
  ERR_CONFIG_READ: {
    meaning: 'the configuration file is missing, unreadable or not YAML',
    retryable: false,
    action: 'check the path given with `--config` / `TQ_ENTRA_CONFIG`',
  },
  ERR_CONFIG_ENV_MISSING: {
    meaning: 'a `${NAME}` in the file names an unset environment variable',
    retryable: false,
    action: 'export it, or write `$${` for a literal',
  },
  ERR_CONFIG_INVALID: {
    meaning: 'a value is wrong; each problem is listed by path',
    retryable: false,
    action: 'fix the named key (see `config/example.yaml`)',
  },
  ERR_USAGE: {
    meaning: 'a command-line usage error (or an unusable setting such as `TQ_ENTRA_REDIS_TIMEOUT`)',
    retryable: false,
    action: 'see `tq-entra <command> --help`',
  },
  ERR_UNKNOWN_SOURCE: {
    meaning: 'a command or a queued job names a source the configuration does not define',
    retryable: false,
    action: 'check the name (the CLI exits 2); for a queued job, re-run the scheduler after configuration changes',
  },
  ERR_UNKNOWN_TARGET: {
    meaning: 'a command or a queued job names a target the configuration does not define',
    retryable: false,
    action: 'check the name (the CLI exits 2); for a queued job, re-run the scheduler after configuration changes',
  },
  ERR_SAFETY_EMPTY: {
    meaning: 'the desired set is empty and `safety.refuseEmpty`; nothing written',
    retryable: false,
    action: 'check the feed (did a collection lose its sharing?), or `--force`',
  },
  ERR_SAFETY_REMOVAL: {
    meaning: 'the run would remove more than `safety.maxRemovalFraction` of the ranges this service owns; nothing written',
    retryable: false,
    action: 'check the feed; `--force` if the removal is intended',
  },
  ERR_SAFETY_TENANT: {
    meaning: "the Graph token's tenant differs from the target's `tenantId`; nothing written",
    retryable: false,
    action: 'fix `tenantId` or the app registration; not overridable',
  },
  ERR_SAFETY_OWNED_BY_OTHER_TARGET: {
    meaning: 'a location or the policy this target would write is recorded as managed by another target of the same tenant; nothing written',
    retryable: false,
    action: 'give the targets names that cannot collide; when the other target is no longer configured, `--force` takes the object over',
  },
  ERR_SAFETY_LOCKOUT: {
    meaning: 'lockout guard: the run would create or enable a policy for `All` users with no user or group excluded; nothing written',
    retryable: false,
    action: 'exclude the emergency access accounts (`policy.users.exclude` / `excludeGroups`, or on the live policy), or set `safety.allowNoExclusions: true`',
  },
  ERR_SAFETY_WHATIF: {
    meaning: "What If before enforcing: Graph's evaluation says the policy would block an emergency account, block from a never-block address, or not block a canary; the policy was left report-only",
    retryable: false,
    action: 'read the evaluations in the message (user, address, policyApplies, reasons); fix the exclusions or the ranges (docs/INCIDENT-RESPONSE.md)',
  },
  ERR_GRAPH_FORBIDDEN: {
    meaning: 'Graph answered 403',
    retryable: false,
    action: 'grant the application permissions `Policy.Read.All` and `Policy.ReadWrite.ConditionalAccess`, with admin consent',
  },
  ERR_GRAPH_VALIDATION: {
    meaning: "Graph refused the body (400); the message carries Graph's `message` and `innerError.message` word for word",
    retryable: false,
    action: 'e.g. incompatible `clientAppTypes`/platforms: change the policy settings',
  },
  ERR_GRAPH_THROTTLED: {
    meaning: "the tenant's 1 request/s limit was hit (429) through every attempt",
    retryable: true,
    action: "nothing: workers delay that target's job for the tenant's wait (other tenants go on), the CLI waits",
  },
  ERR_GRAPH_NOT_REPLICATED: {
    meaning: 'a new named location never became visible within 2 minutes (Graph kept answering 400 / 1040)',
    retryable: false,
    action: 'run again (Entra is eventually consistent)',
  },
  ERR_GRAPH_NOT_CONSISTENT: {
    meaning:
      'Graph did not agree within the bounded wait before a destructive step (a location still read as trusted, a policy still referencing a location, a DELETE still refused); the message says what was waited for',
    retryable: true,
    action: 'nothing: retried; nothing was deleted that should stay',
  },
  ERR_GRAPH_PACE_NOT_ALLOWED: {
    meaning: '`rateLimit.requestsPerSecond` above 1 against a Microsoft cloud without the opt-in',
    retryable: false,
    action: 'set it to 1, or set `rateLimit.allowAboveMicrosoftLimit: true` on the target if Microsoft raised your limit',
  },
  ERR_GRAPH_AUTH: {
    meaning: 'sign-in failed (no access token)',
    retryable: false,
    action: 'check `tenantId`, `clientId`, the secret or certificate, `cloud.authorityHost`, `tls.caFile`',
  },
  ERR_GRAPH_UNAUTHORIZED: {
    meaning: 'Graph refused the token (401)',
    retryable: false,
    action: 'check the app registration and the cloud settings',
  },
  ERR_GRAPH_NOT_FOUND: {
    meaning: 'an object disappeared during the run (404)',
    retryable: true,
    action: 'nothing: the job runs again and plans from what Graph then holds',
  },
  ERR_GRAPH_UNAVAILABLE: {
    meaning: 'Graph returned 408/5xx or the network failed through every retry',
    retryable: true,
    action: 'retried with backoff; check connectivity',
  },
  ERR_GRAPH_HTTP: {
    meaning: 'another HTTP status from Graph that the client does not retry (e.g. 409, 501, a redirect)',
    retryable: BY_STATUS,
    action: 'read the message',
  },
  ERR_GRAPH_RESPONSE: {
    meaning: 'Graph answered 2xx with a body the client cannot read',
    retryable: true,
    action: 'read the message',
  },
  ERR_GRAPH_INPUT: {
    meaning: 'the client refused to send a value Graph would refuse (bad CIDR, too many ranges, empty name)',
    retryable: false,
    action: 'read the message',
  },
  ERR_THREATQ_AUTH: {
    meaning: 'ThreatQ refused the credentials',
    retryable: false,
    action: 'check `auth.*` (and which grant the credentials belong to)',
  },
  ERR_THREATQ_NOT_FOUND: {
    meaning: 'the collection is unknown, or not shared with the API user',
    retryable: false,
    action: 'check the collection id; share it with the API user',
  },
  ERR_THREATQ_FORBIDDEN: {
    meaning: 'ThreatQ answered 403',
    retryable: false,
    action: 'give the API user access',
  },
  ERR_THREATQ_HTTP: {
    meaning: 'ThreatQ rejected a request (400, redirect, proxy 407)',
    retryable: false,
    action: 'read the message',
  },
  ERR_THREATQ_TLS: {
    meaning: 'the ThreatQ certificate is not trusted',
    retryable: false,
    action: 'set `tls.caFile` (or, for a test instance only, `tls.verify: false`)',
  },
  ERR_THREATQ_UNAVAILABLE: {
    meaning: '429, 5xx or network errors through every retry',
    retryable: true,
    action: 'retried later; check the instance',
  },
  ERR_THREATQ_INCOMPLETE: {
    meaning:
      "a collection read ended with fewer indicators than ThreatQ's `total` (beyond max(5, 1%), at most 10%) after re-requesting the page that ended it (empty or `null` data, no cursor, a shrunk total); nothing committed, the last snapshot stays",
    retryable: true,
    action: 'retried with backoff; if it persists, check the instance (a search backend timing out on deep pages), or lower `pageSize`',
  },
  ERR_THREATQ_CONFIG: {
    meaning: 'a ThreatQ client setting is unusable (instance URL, `tls.caFile`, proxy variables)',
    retryable: false,
    action: 'read the message',
  },
  ERR_THREATQ_RESPONSE: {
    meaning: 'ThreatQ sent something unreadable (not JSON, wrong shape, an `errors` body)',
    retryable: true,
    action: 'check that the URL points at the ThreatQ API; read the message',
  },
  ERR_THREATQ_WRITE_REFUSED: {
    meaning:
      'ThreatQ refused a write-back request (403: the API user may not edit tags or attributes; 400/422: the tag or attribute was refused); the write-back job fails, the reconcile is not affected',
    retryable: false,
    action:
      'give the API user the Primary Contributor role (or a custom role with Objects & Context › Individual Object Context & Actions › Tags and Attributes); check `writeBack.tag` / `attribute`',
  },
  ERR_PROXY_CONFIG: {
    meaning: 'a proxy variable (`HTTPS_PROXY`, `HTTP_PROXY`) is malformed; reported as `ERR_THREATQ_CONFIG`',
    retryable: false,
    action: 'fix the variable, or set `disableProxies`',
  },
  ERR_PROXY_CONNECT: {
    meaning: 'the proxy refused the CONNECT tunnel; the ThreatQ client retries it for 408, 429, 500, 502-504 and otherwise reports it as `ERR_THREATQ_HTTP`',
    retryable: BY_STATUS,
    action: 'check `HTTPS_PROXY` / `HTTP_PROXY`, the proxy credentials and `NO_PROXY`',
  },
  ERR_NOTIFY_HTTP: {
    meaning:
      'a notification target (`notify:`) did not take a message: HTTP 429 or 5xx, a timeout or no answer (retried with the target\'s `attempts` and `backoff`), or another 4xx (final); the reconcile is not affected',
    retryable: BY_STATUS,
    action: 'check the webhook URL (a 404/403: revoked or mistyped) and the receiver; the message names the target, never its URL',
  },
  ERR_NOTIFY_UNKNOWN_TARGET: {
    meaning: 'a queued notification names a `notify:` target the configuration no longer has, or an event this version does not know',
    retryable: false,
    action: 'nothing, if the target was removed on purpose; otherwise restore it in `notify:`',
  },
  ERR_SOURCE_FILE_READ: {
    meaning: 'a file source cannot be read',
    retryable: true,
    action: 'check the path and permissions',
  },
  ERR_SOURCE_NOT_A_BLOCKLIST: {
    meaning:
      "a file source's lines are mostly not addresses (more than half of at least 20 value lines); nothing from it was used, the last snapshot stays",
    retryable: false,
    action: 'point the source at a list of one IP address or CIDR per line',
  },
  ERR_SOURCE_UNKNOWN_COLLECTION: {
    meaning: 'a job names a collection its source no longer has',
    retryable: false,
    action: 're-run the scheduler after configuration changes',
  },
  ERR_SOURCE_ABORTED: {
    meaning: 'reading a source was cut short (worker shutdown, job cancelled); nothing is wrong with the source',
    retryable: true,
    action: 'nothing: the run is retried',
  },
  ERR_STAGING_LOST: {
    meaning: "a run's staged chunks expired before it could commit; the last good snapshot stays",
    retryable: false,
    action: 'run the sync again',
  },
  ERR_JOB_DATA: {
    meaning: 'a queued job carries data the service never makes (e.g. a reconcile with `force: true`, added or edited by hand in Redis); the job fails, nothing is written',
    retryable: false,
    action: 'queue work with `tq-entra sync`; forced runs are `tq-entra apply --force` only',
  },
  ERR_LOCK_BUSY: {
    meaning: 'another process is reconciling the target',
    retryable: true,
    action: 'nothing: the job is delayed',
  },
  ERR_LOCK_LOST: {
    meaning: 'this process lost the target lock while reconciling (paused past its TTL)',
    retryable: true,
    action: 'nothing: the job is retried',
  },
  ERR_JOB_LOCK_LOST: {
    meaning:
      "a worker lost a queue job's lock while processing it (Redis failover, a pause past `worker.lockDurationMs`); it stops touching the job, which another worker takes over as stalled",
    retryable: true,
    action: 'nothing: the job runs again elsewhere',
  },
  ERR_REDIS_UNAVAILABLE: {
    meaning:
      'a command could not reach Redis for `TQ_ENTRA_REDIS_TIMEOUT` (default 10 s); the message names the URL without its password and the last connection error',
    retryable: true,
    action:
      'check that Redis runs and is reachable from this host, the host, port and password in `redis.url` / `REDIS_URL` (it wins), TLS (`rediss://`); raise `TQ_ENTRA_REDIS_TIMEOUT` for a slow failover',
  },
  ERR_RANGE_INVALID_CIDR: {
    meaning: 'a set operation was given text that is not a CIDR',
    retryable: true,
    action: 'read the message',
  },
  ERR_OPS_LISTEN: {
    meaning: 'the dashboard, a worker health server or an emulator could not bind its address (in use, not permitted)',
    retryable: false,
    action: 'free the port or choose another host/port',
  },
  ERR_METRICS_INPUT: {
    meaning: 'a metrics-store function was given a value it cannot record (a bug; the run itself goes on)',
    retryable: false,
    action: 'report it with the message',
  },
  ERR_INTERNAL: {
    meaning: 'an internal invariant did not hold (a bug)',
    retryable: true,
    action: 'report it with the message',
  },
  ERR_RUN_FAILED: {
    meaning: 'a run failed with an error that carries no code of this table',
    retryable: true,
    action: 'read the message in `tq-entra report`',
  },
  ERR_UNEXPECTED: {
    meaning: 'something failed that the service did not raise itself (no code of this table)',
    retryable: true,
    action: 'read the message; report it if it persists',
  },
} as const satisfies Record<`ERR_${string}`, ErrorCodeInfo>;

/** Every error code the service raises. Closed: a code outside the table fails the typecheck. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes in table order. */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/**
 * The rule for `'by-status'` codes (the rule workers applied before the table): a 4xx other than 408
 * and 429 is final; anything else (408, 429, 5xx, a 3xx the client does not follow, 0 for "no
 * response") is worth another attempt.
 */
export function retryableForStatus(status: number): boolean {
  if (status >= 400 && status < 500) return status === 408 || status === 429;
  return true;
}

/** Whether a failure with `code` (and, for by-status codes, `status`; 0 when there was no response) is retried. */
export function retryableFor(code: ErrorCode, status = 0): boolean {
  const r = ERROR_CODES[code].retryable;
  return r === BY_STATUS ? retryableForStatus(status) : r;
}
