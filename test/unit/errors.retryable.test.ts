/**
 * Pins `retryable` for every code of the table and for an instance of every error class, and the
 * BullMQ signal each becomes (workers/job-signals.ts reads only `SyncError.retryable`).
 *
 * The expected values are the old behaviour, measured class by class on the code before the table
 * (commit 5ae9994: an explicit flag, else an HTTP status 400-599 with 408/429/5xx retrying, else a
 * regex of unrecoverable code prefixes). Where those three disagreed for a code, the old precedence
 * decided, and so does this table: ERR_GRAPH_UNAUTHORIZED, ERR_GRAPH_FORBIDDEN and
 * ERR_GRAPH_NOT_REPLICATED were "retryable" by the regex but final by their status (401, 403, 400).
 */
import { DelayedError, UnrecoverableError } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { ERROR_CODES, ERROR_CODE_LIST, retryableFor, retryableForStatus, type ErrorCode } from '../../src/errors/error-codes.ts';
import { SyncError, UsageError, errorCodeOf } from '../../src/errors/sync-error.ts';
import { ConfigError } from '../../src/config/errors/config-error.ts';
import { UnknownNameError } from '../../src/config/errors/unknown-name-error.ts';
import { GraphAuthError } from '../../src/graph/errors/graph-auth-error.ts';
import { GraphError } from '../../src/graph/errors/graph-error.ts';
import { GraphInputError } from '../../src/graph/errors/graph-input-error.ts';
import { GraphNotConsistentError } from '../../src/graph/errors/graph-not-consistent-error.ts';
import { GraphNotReplicatedError } from '../../src/graph/errors/graph-not-replicated-error.ts';
import { GraphPaceError } from '../../src/graph/errors/graph-pace-error.ts';
import { GraphResponseError } from '../../src/graph/errors/graph-response-error.ts';
import { GraphThrottledError } from '../../src/graph/errors/graph-throttled-error.ts';
import { GraphUnavailableError } from '../../src/graph/errors/graph-unavailable-error.ts';
import { errorForStatus } from '../../src/graph/graph-response.ts';
import { ListenError } from '../../src/http/errors/listen-error.ts';
import { MetricsInputError } from '../../src/observability/errors/metrics-input-error.ts';
import { LockBusyError } from '../../src/state/errors/lock-busy-error.ts';
import { LockLostError } from '../../src/state/errors/lock-lost-error.ts';
import { InvalidCidrError } from '../../src/ranges/errors/invalid-cidr-error.ts';
import { SafetyEmptyError } from '../../src/reconcile/errors/safety-empty-error.ts';
import { SafetyError } from '../../src/reconcile/errors/safety-error.ts';
import { SafetyOwnedByOtherTargetError } from '../../src/reconcile/errors/safety-owned-error.ts';
import { SafetyRemovalError } from '../../src/reconcile/errors/safety-removal-error.ts';
import { SafetyTenantError } from '../../src/reconcile/errors/safety-tenant-error.ts';
import { redisUnavailableError } from '../../src/redis/redis-connection.ts';
import { FileSourceError } from '../../src/sources/errors/file-source-error.ts';
import { SourceAbortedError } from '../../src/errors/source-aborted-error.ts';
import { SourceNotBlocklistError } from '../../src/sources/errors/source-not-blocklist-error.ts';
import { UnknownCollectionError } from '../../src/sources/errors/unknown-collection-error.ts';
import { ProxyConfigError } from '../../src/threatq/errors/proxy-config-error.ts';
import { ProxyConnectError } from '../../src/threatq/errors/proxy-connect-error.ts';
import { ThreatQAuthError } from '../../src/threatq/errors/threatq-auth-error.ts';
import { ThreatQConfigError } from '../../src/threatq/errors/threatq-config-error.ts';
import type { ThreatQErrorContext } from '../../src/threatq/errors/threatq-error-context.ts';
import { ThreatQError } from '../../src/threatq/errors/threatq-error.ts';
import { ThreatQForbiddenError } from '../../src/threatq/errors/threatq-forbidden-error.ts';
import { ThreatQHttpError } from '../../src/threatq/errors/threatq-http-error.ts';
import { ThreatQIncompleteError } from '../../src/threatq/errors/threatq-incomplete-error.ts';
import { ThreatQNotFoundError } from '../../src/threatq/errors/threatq-not-found-error.ts';
import { ThreatQResponseError } from '../../src/threatq/errors/threatq-response-error.ts';
import { ThreatQTlsError } from '../../src/threatq/errors/threatq-tls-error.ts';
import { ThreatQUnavailableError } from '../../src/threatq/errors/threatq-unavailable-error.ts';
import { ThreatQWriteRefusedError } from '../../src/threatq/errors/threatq-write-refused-error.ts';
import { SafetyLockoutError } from '../../src/reconcile/errors/safety-lockout-error.ts';
import { SafetyWhatIfError } from '../../src/reconcile/errors/safety-what-if-error.ts';
import { NotifyHttpError } from '../../src/notify/errors/notify-http-error.ts';
import { NotifyUnknownTargetError } from '../../src/notify/errors/notify-unknown-target-error.ts';
import { StagingLostError } from '../../src/pipeline/errors/staging-lost-error.ts';
import { JobDataError } from '../../src/pipeline/errors/job-data-error.ts';
import { FinalJobError, LOCK_BUSY_DELAY_MS, LockLostSignal, ThrottleDelay, isRetryable, jobErrorCode, throwJobSignal } from '../../workers/job-signals.ts';
import { JobLockLostError } from '../../src/pipeline/errors/job-lock-lost-error.ts';

/** Every code (a Record over the union: a code added to the table must be added here). */
const EXPECTED: Record<ErrorCode, boolean | 'by-status'> = {
  ERR_CONFIG_READ: false,
  ERR_CONFIG_ENV_MISSING: false,
  ERR_CONFIG_INVALID: false,
  ERR_USAGE: false,
  ERR_UNKNOWN_SOURCE: false,
  ERR_UNKNOWN_TARGET: false,
  ERR_SAFETY_EMPTY: false,
  ERR_SAFETY_REMOVAL: false,
  ERR_SAFETY_TENANT: false,
  ERR_SAFETY_OWNED_BY_OTHER_TARGET: false,
  ERR_SAFETY_LOCKOUT: false,
  ERR_SAFETY_WHATIF: false,
  ERR_GRAPH_FORBIDDEN: false,
  ERR_GRAPH_VALIDATION: false,
  ERR_GRAPH_THROTTLED: true,
  ERR_GRAPH_NOT_REPLICATED: false,
  ERR_GRAPH_NOT_CONSISTENT: true,
  ERR_GRAPH_PACE_NOT_ALLOWED: false,
  ERR_GRAPH_AUTH: false,
  ERR_GRAPH_UNAUTHORIZED: false,
  ERR_GRAPH_NOT_FOUND: true,
  ERR_GRAPH_UNAVAILABLE: true,
  ERR_GRAPH_HTTP: 'by-status',
  ERR_GRAPH_RESPONSE: true,
  ERR_GRAPH_INPUT: false,
  ERR_THREATQ_AUTH: false,
  ERR_THREATQ_NOT_FOUND: false,
  ERR_THREATQ_FORBIDDEN: false,
  ERR_THREATQ_HTTP: false,
  ERR_THREATQ_TLS: false,
  ERR_THREATQ_UNAVAILABLE: true,
  ERR_THREATQ_INCOMPLETE: true,
  ERR_THREATQ_CONFIG: false,
  ERR_THREATQ_RESPONSE: true,
  ERR_THREATQ_WRITE_REFUSED: false,
  ERR_PROXY_CONFIG: false,
  ERR_PROXY_CONNECT: 'by-status',
  ERR_NOTIFY_HTTP: 'by-status',
  ERR_NOTIFY_UNKNOWN_TARGET: false,
  ERR_SOURCE_FILE_READ: true,
  ERR_SOURCE_NOT_A_BLOCKLIST: false,
  ERR_SOURCE_UNKNOWN_COLLECTION: false,
  ERR_SOURCE_ABORTED: true,
  ERR_STAGING_LOST: false,
  ERR_JOB_DATA: false,
  ERR_LOCK_BUSY: true,
  ERR_LOCK_LOST: true,
  ERR_JOB_LOCK_LOST: true,
  ERR_REDIS_UNAVAILABLE: true,
  ERR_RANGE_INVALID_CIDR: true,
  ERR_OPS_LISTEN: false,
  ERR_METRICS_INPUT: false,
  ERR_INTERNAL: true,
  ERR_RUN_FAILED: true,
  ERR_UNEXPECTED: true,
};

const info = (status: number) => ({ status, method: 'PATCH', path: '/identity/conditionalAccess/namedLocations/x' });
const ctx: ThreatQErrorContext = { instance: 'tq', collection: 'c1' };

/** One instance of every error class, as the code raises it, with the old `isRetryable` answer. */
const INSTANCES: [string, SyncError, boolean][] = [
  ['config read', new ConfigError('ERR_CONFIG_READ', ['x']), false],
  ['config invalid', new ConfigError('ERR_CONFIG_INVALID', ['x']), false],
  ['config env', new ConfigError('ERR_CONFIG_ENV_MISSING', ['x']), false],
  ['usage', new UsageError('x'), false],
  ['unknown source', new UnknownNameError('source', 'x', []), false],
  ['unknown target', new UnknownNameError('target', 'x', []), false],
  ...[400, 401, 403, 405, 409, 412].map((s): [string, SyncError, boolean] => [`graph ${s}`, errorForStatus(info(s)), false]),
  ...[404, 301, 501, 505].map((s): [string, SyncError, boolean] => [`graph ${s}`, errorForStatus(info(s)), true]),
  ['graph auth', new GraphAuthError('x'), false],
  ['graph not consistent', new GraphNotConsistentError({ what: 'x', waitedMs: 1, reads: 1 }, 10_000), true],
  ['graph response', new GraphResponseError('GET', '/x', 'p'), true],
  ['graph input', new GraphInputError('x'), false],
  ['graph pace', new GraphPaceError('t', 'h', 2, 'o'), false],
  ['graph not replicated (400)', new GraphNotReplicatedError(info(400), 1), false],
  ['graph throttled (429)', new GraphThrottledError(info(429), 1), true],
  ...[0, 408, 500, 502, 503, 504].map((s): [string, SyncError, boolean] => [`graph unavailable ${s}`, new GraphUnavailableError(info(s), 'ECONNRESET'), true]),
  ['threatq auth', new ThreatQAuthError(ctx, 'p', 'h'), false],
  ['threatq config', new ThreatQConfigError('tq', 'p'), false],
  ['threatq forbidden', new ThreatQForbiddenError(ctx), false],
  ['threatq http', new ThreatQHttpError(ctx, 'm', 'h'), false],
  ['threatq incomplete', new ThreatQIncompleteError(ctx, { received: 1, total: 2, lastTotal: undefined, tolerance: 0, page: 1, problem: 'p', requests: 1 }), true],
  ['threatq not found', new ThreatQNotFoundError(ctx), false],
  ['threatq response', new ThreatQResponseError(ctx, 'p'), true],
  ['threatq tls', new ThreatQTlsError(ctx, 'CERT_HAS_EXPIRED'), false],
  ['threatq unavailable', new ThreatQUnavailableError(ctx, 1, 'w'), true],
  ['threatq write refused', new ThreatQWriteRefusedError({ instance: 'tq', status: 403 }, 'm'), false],
  ...[0, 408, 429, 500, 503].map((s): [string, SyncError, boolean] => [`notify http ${s}`, new NotifyHttpError({ target: 'n', kind: 'slack', status: s }), true]),
  ...[400, 403, 404, 410].map((s): [string, SyncError, boolean] => [`notify http ${s}`, new NotifyHttpError({ target: 'n', kind: 'slack', status: s }), false]),
  ['notify unknown target', new NotifyUnknownTargetError('x'), false],
  ['proxy config', new ProxyConfigError('HTTPS_PROXY is not a valid proxy URL'), false],
  ['proxy connect 407', new ProxyConnectError(407, 'refused'), false],
  ['proxy connect 503', new ProxyConnectError(503, 'refused'), true],
  ['file read', new FileSourceError('s', 'p', 'r'), true],
  ['not a blocklist', new SourceNotBlocklistError('s', 'p', 1, 2), false],
  ['unknown collection', new UnknownCollectionError('s', 'c', []), false],
  ['source aborted', new SourceAbortedError('s', 'c'), true],
  ['listen', new ListenError('x'), false],
  ['metrics input', new MetricsInputError('x'), false],
  ['lock busy', new LockBusyError('t'), true],
  ['lock lost', new LockLostError('t', 1), true],
  ['invalid cidr', new InvalidCidrError('x', 'EMPTY'), true],
  ['safety empty', new SafetyEmptyError('t'), false],
  ['safety tenant', new SafetyTenantError('t', 'a', 'b'), false],
  ['safety removal', new SafetyRemovalError('t', 1, 2, 0.5), false],
  ['safety owned', new SafetyOwnedByOtherTargetError('t', { kind: 'policy', displayName: 'd', id: 'i' }, 'o', true), false],
  ['safety lockout', new SafetyLockoutError('t', 'p', 'configuration'), false],
  ['safety what if', new SafetyWhatIfError('t', 'p', 'i', [{ check: 'emergency', userId: 'u', ipAddress: '192.0.2.1', policyApplies: true, analysisReasons: ['notSet'] }]), false],
  ['staging lost', new StagingLostError('r', [1]), false],
  ['job lock lost', new JobLockLostError('1', 'commit'), true],
  ['job data', new JobDataError('reconcile', '7', 'force: must be false'), false],
  ['redis unavailable', redisUnavailableError(1, 'redis://h:6379', 'ECONNREFUSED'), true],
  ['internal', new SyncError('ERR_INTERNAL', 'x'), true],
];

describe('the code table', () => {
  it('says for every code what the old logic did', () => {
    expect([...ERROR_CODE_LIST].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const code of ERROR_CODE_LIST) expect([code, ERROR_CODES[code].retryable]).toEqual([code, EXPECTED[code]]);
  });

  it("by-status: 408, 429, 5xx and 'no response' retry; other 4xx do not; a 3xx the client does not follow retries (as before)", () => {
    for (const s of [0, 301, 408, 429, 500, 501, 502, 503, 504, 505]) expect([s, retryableForStatus(s)]).toEqual([s, true]);
    for (const s of [400, 401, 403, 404, 405, 407, 409, 412, 413, 422]) expect([s, retryableForStatus(s)]).toEqual([s, false]);
    expect(retryableFor('ERR_GRAPH_HTTP', 409)).toBe(false);
    expect(retryableFor('ERR_GRAPH_HTTP', 502)).toBe(true);
    expect(retryableFor('ERR_GRAPH_VALIDATION', 503)).toBe(false);
  });
});

describe('every error class', () => {
  it.each(INSTANCES)('%s: retryable as before', (_label, err, retryable) => {
    expect(err.retryable).toBe(retryable);
    expect(isRetryable(err)).toBe(retryable);
    const entry = ERROR_CODES[err.code].retryable;
    if (entry !== 'by-status') expect(entry).toBe(retryable);
  });

  it('covers every code the classes raise', () => {
    const raised = new Set(INSTANCES.map(([, e]) => e.code));
    const notRaisedByAClass: ErrorCode[] = ['ERR_RUN_FAILED', 'ERR_UNEXPECTED'];
    expect(ERROR_CODE_LIST.filter((c) => !raised.has(c) && !notRaisedByAClass.includes(c))).toEqual([]);
  });

  it('belongs to its family: ThreatQError, GraphError, SafetyError', () => {
    for (const [, err] of INSTANCES) {
      expect([err.code, err instanceof ThreatQError]).toEqual([err.code, /^ERR_(THREATQ|PROXY)_/.test(err.code)]);
      expect([err.code, err instanceof GraphError]).toEqual([err.code, err.code.startsWith('ERR_GRAPH_')]);
      expect([err.code, err instanceof SafetyError]).toEqual([err.code, err.code.startsWith('ERR_SAFETY_')]);
    }
  });

  it('has no per-instance retryable option: the table decides (a stray option fails typecheck)', () => {
    // @ts-expect-error retryable is not an option of SyncError
    expect(new SyncError('ERR_STAGING_LOST', 'x', { retryable: true }).retryable).toBe(false);
    // @ts-expect-error retryable is not an option of SyncError
    expect(new SyncError('ERR_LOCK_BUSY', 'x', { retryable: false }).retryable).toBe(true);
  });
});

describe('errorCodeOf / jobErrorCode', () => {
  it("gives a SyncError's code, a fixed fallback otherwise (never a foreign .code, never the message)", () => {
    expect(errorCodeOf(new SafetyEmptyError('t'))).toBe('ERR_SAFETY_EMPTY');
    expect(errorCodeOf(Object.assign(new Error('ERR_SAFETY_EMPTY: x'), { code: 'ECONNRESET' }))).toBe('ERR_UNEXPECTED');
    expect(errorCodeOf('boom', 'ERR_RUN_FAILED')).toBe('ERR_RUN_FAILED');
    expect(jobErrorCode(new FinalJobError(new SafetyTenantError('t', 'a', 'b')))).toBe('ERR_SAFETY_TENANT');
    expect(jobErrorCode(new Error('x'))).toBe('ERR_RUN_FAILED');
  });
});

describe('throwJobSignal', () => {
  /** A job as BullMQ hands it to a processor: only moveToDelayed is used. */
  const fakeJob = () => ({ moveToDelayed: vi.fn(async (_at: number, _token?: string) => undefined) });

  it('fails a final SyncError at once, keeping its code as a field and the old message', async () => {
    const err = new SafetyRemovalError('t', 5, 10, 0.1);
    const thrown = await throwJobSignal(err, fakeJob(), 'tok').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown).toBeInstanceOf(FinalJobError);
    expect((thrown as FinalJobError).name).toBe('UnrecoverableError');
    expect((thrown as FinalJobError).code).toBe('ERR_SAFETY_REMOVAL');
    expect((thrown as FinalJobError).cause).toBe(err);
    expect((thrown as Error).message).toBe(`ERR_SAFETY_REMOVAL: ${err.message}`);
  });

  it('rethrows a retryable SyncError and any foreign error as they are', async () => {
    const job = fakeJob();
    const a = new ThreatQUnavailableError(ctx, 3, 'HTTP 503');
    await expect(throwJobSignal(a, job, 'tok')).rejects.toBe(a);
    const b = new TypeError('x');
    await expect(throwJobSignal(b, undefined)).rejects.toBe(b);
    expect(job.moveToDelayed).not.toHaveBeenCalled();
  });

  it("delays only the throttled job for the tenant's block (1 s when it names none), keeping its attempts", async () => {
    const job = fakeJob();
    const onThrottleDelay = vi.fn(async () => undefined);
    const before = Date.now();
    const thrown = await throwJobSignal(new GraphThrottledError(info(429), 4200), job, 'tok', { onThrottleDelay }).catch((e: unknown) => e);
    // A DelayedError (BullMQ keeps the attempts of a job moved to delayed by its processor), marked throttled.
    expect(thrown).toBeInstanceOf(DelayedError);
    expect(thrown).toBeInstanceOf(ThrottleDelay);
    expect((thrown as ThrottleDelay).name).toBe('DelayedError');
    expect((thrown as ThrottleDelay).deferral).toBe('throttled');
    const [at, token] = job.moveToDelayed.mock.calls[0] ?? [];
    expect(token).toBe('tok');
    expect(at).toBeGreaterThanOrEqual(before + 4200);
    expect(at).toBeLessThanOrEqual(Date.now() + 4200);
    expect(onThrottleDelay).toHaveBeenCalledWith(job, 4200);
    const again = await throwJobSignal(new GraphThrottledError(info(429), 0), job, 'tok').catch((e: unknown) => e);
    expect((again as ThrottleDelay).waitMs).toBe(1000);
  });

  it('leaves a job whose lock this worker lost alone: a DelayedError BullMQ steps past, no move with the stale token', async () => {
    const job = fakeJob();
    const lost = await throwJobSignal(new JobLockLostError('1', 'report progress'), job, 'tok').catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LockLostSignal);
    expect((lost as LockLostSignal).name).toBe('DelayedError');
    expect((lost as Error).message).toContain('ERR_JOB_LOCK_LOST');
    // BullMQ's own refusal of a move for a lock that is another worker's (-6) or gone (-2).
    for (const code of [-6, -2]) {
      const refused = Object.assign(new Error(`Lock mismatch for job 1. Cmd moveToWaitingChildren from active`), { code });
      await expect(throwJobSignal(refused, job, 'tok')).rejects.toBeInstanceOf(LockLostSignal);
    }
    expect(job.moveToDelayed).not.toHaveBeenCalled();
    // A delay the lock no longer allows: the refusal of moveToDelayed is the same signal, nothing more.
    const stale = { moveToDelayed: vi.fn(async () => Promise.reject(Object.assign(new Error('Missing lock for job 1. moveToDelayed'), { code: -2 }))) };
    await expect(throwJobSignal(new LockBusyError('t'), stale, 'tok')).rejects.toBeInstanceOf(LockLostSignal);
    // Another BullMQ error code is not a lost lock.
    const other = Object.assign(new Error('Missing key for job 1.'), { code: -1 });
    await expect(throwJobSignal(other, job, 'tok')).rejects.toBe(other);
  });

  it('delays a job whose target lock is busy by LOCK_BUSY_DELAY_MS, as a plain delay', async () => {
    const job = fakeJob();
    const thrown = await throwJobSignal(new LockBusyError('t'), job, 'tok').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(DelayedError);
    expect(thrown).not.toBeInstanceOf(ThrottleDelay);
    expect((job.moveToDelayed.mock.calls[0]?.[0] ?? 0) - Date.now()).toBeGreaterThan(LOCK_BUSY_DELAY_MS - 1000);
  });

  it('without a lock token nothing can be delayed: a throttled error is rethrown, retryable', async () => {
    const job = fakeJob();
    const err = new GraphThrottledError(info(429), 4200);
    await expect(throwJobSignal(err, job, undefined)).rejects.toBe(err);
    expect(job.moveToDelayed).not.toHaveBeenCalled();
  });
});
