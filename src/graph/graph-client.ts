/**
 * `createGraphClient(target, deps)`: the GraphClient reconcile and the CLI use for one target.
 *
 * Wires the credential (graph-credential.ts), the tenant-wide Redis pacer (graph-pacer.ts, at the
 * target's `rateLimit.requestsPerSecond`), the requester with its retry policy (graph-request.ts)
 * and the two resource modules. `onThrottle`: 'wait' (the CLI and the reconcile stage; sleep
 * through 429s and tenant-wide pauses, until a request runs out of attempts) or 'throw'
 * (GraphThrottledError carrying `retryAfterMs` at the first 429 or block). A worker delays the job of a
 * GraphThrottledError for `retryAfterMs` (workers/job-signals.ts), never the queue. Pacing is keyed on the token's tenant id (`tid`); a pace above 1 request/s against a
 * Microsoft cloud needs the explicit opt-in `rateLimit.allowAboveMicrosoftLimit` (checkPace). Every
 * consistency wait before a destructive step is bounded by the target's `consistencyTimeout`.
 * The target's client secret and every token are registered as secrets for redaction.
 * TLS: `tls.caFile` is trusted in addition to the system roots; `tls.verify: false` turns off
 * certificate checks for Graph requests (not for the authority, see graph-credential.ts).
 * Proxies: Graph requests do not go through HTTP(S)_PROXY (got has no proxy support built in);
 * `disableProxies` is therefore already the behaviour for Graph calls.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Logger } from 'winston';
import type { TargetConfig } from '../config/schema.ts';
import { paceAboveMicrosoftLimit } from '../config/microsoft-clouds.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../http/retry-policy.ts';
import { getLogger } from '../observability/logger.ts';
import { registerSecret } from '../observability/secrets.ts';
import * as policies from './conditional-access-policies.ts';
import { GraphAuthError } from './errors/graph-auth-error.ts';
import { createGraphCredential, graphScope, readTokenClaims, trustedCas, type TokenCredential } from './graph-credential.ts';
import { createGraphPacer, createLazyPacer, paceIntervalMs } from './graph-pacer.ts';
import { GraphRequester, emptyStats } from './graph-request.ts';
import { GraphPaceError } from './errors/graph-pace-error.ts';
import { targetConsistencyPolicy, type ConsistencyPolicy, type WaitOptions } from './consistency.ts';
import type { GraphClient, GraphRequestStats } from './graph-types.ts';
import * as locations from './named-locations.ts';
import { evaluateWhatIf } from './what-if.ts';

export interface GraphClientDeps {
  redis: RedisClient;
  /** Redis key prefix (config `redis.prefix`); pacing keys are `<prefix>:graph:pace:<tenantId>`. */
  prefix: string;
  onThrottle?: 'wait' | 'throw';
  /** Defaults to the target's client secret or certificate credential. */
  credential?: TokenCredential;
  retryPolicy?: Partial<RetryPolicy>;
  replicationPolicy?: Partial<RetryPolicy>;
  /** Per-attempt request timeout (default 30 s). */
  timeoutMs?: number;
  /** Lookups by name after an ambiguous create failure before creating again (default 4 over 30 s). */
  createLookup?: { reads: number; spanMs: number };
  /** Consistency waits before destructive steps (default DEFAULT_CONSISTENCY_POLICY, bounded by the target's `consistencyTimeout`). */
  consistency?: Partial<ConsistencyPolicy>;
  logger?: Logger;
}

/** Backoff for `1040 … does not exist` replication delays: ~1, 2, 4, 8, 16 s …, at most 2 minutes. */
export const DEFAULT_REPLICATION_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 10,
  baseDelayMs: 1000,
  minDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 30_000,
  deadlineMs: 120_000,
});

/**
 * Throws GraphPaceError for a pace above 1/s against a Microsoft cloud without the opt-in
 * (`rateLimit.allowAboveMicrosoftLimit`). The configuration schema refuses such a target at load;
 * this check covers targets built any other way.
 */
export function checkPace(target: Pick<TargetConfig, 'name' | 'cloud' | 'rateLimit'>): void {
  const host = paceAboveMicrosoftLimit(target);
  if (host !== undefined) {
    throw new GraphPaceError(target.name, host, target.rateLimit.requestsPerSecond, 'rateLimit.allowAboveMicrosoftLimit: true');
  }
}

/**
 * The requester's token source: a Graph token for the target's app, registered as a secret on arrival;
 * a failure (or no token) is GraphAuthError naming the target, tenant, app and authority.
 */
function tokenGetter(target: TargetConfig, credential: TokenCredential): () => Promise<string> {
  const scope = graphScope(target.cloud.graphBaseUrl);
  return async () => {
    let token: string | undefined;
    try {
      token = (await credential.getToken(scope))?.token;
    } catch (e) {
      throw new GraphAuthError(
        `cannot get a Graph token for target "${target.name}" (tenant ${target.tenantId}, app ${target.clientId}) from ${target.cloud.authorityHost}: ${(e as Error).message}`,
        { cause: e, tenantId: target.tenantId, clientId: target.clientId },
      );
    }
    if (!token) throw new GraphAuthError(`the credential returned no token for target "${target.name}"`);
    registerSecret(token);
    return token;
  };
}

/** A consistency wait's options over the client's defaults; every wait is counted in `stats`. */
function consistencyWaits(stats: GraphRequestStats, defaults: Partial<ConsistencyPolicy> | undefined): (w?: WaitOptions) => WaitOptions {
  return (w) => ({
    ...w,
    policy: { ...defaults, ...w?.policy },
    onWait: (r) => {
      stats.consistencyWaits = (stats.consistencyWaits ?? 0) + 1;
      stats.consistencyWaitMs = (stats.consistencyWaitMs ?? 0) + r.waitedMs;
      w?.onWait?.(r);
    },
  });
}

export function createGraphClient(target: TargetConfig, deps: GraphClientDeps): GraphClient {
  checkPace(target);
  registerSecret(target.clientSecret);
  const logger = deps.logger ?? getLogger('graph');
  const credential = deps.credential ?? createGraphCredential(target);
  const getToken = tokenGetter(target, credential);
  const stats = emptyStats();
  const tokenTid = async (): Promise<string> => {
    const tid = readTokenClaims(await getToken()).tid;
    if (typeof tid !== 'string' || tid === '') throw new GraphAuthError('the access token carries no tenant id (tid claim)');
    return tid;
  };
  const rps = target.rateLimit.requestsPerSecond;
  // Keyed on the token's tenant id: a configured domain name and the GUID of one tenant share one pace.
  const pacer = createLazyPacer(paceIntervalMs(rps), async () => createGraphPacer(deps.redis, deps.prefix, await tokenTid(), rps));
  const waitWith = consistencyWaits(stats, targetConsistencyPolicy(target, deps.consistency));
  const req = new GraphRequester({
    graphBaseUrl: target.cloud.graphBaseUrl,
    getToken,
    pacer,
    onThrottle: deps.onThrottle ?? 'wait',
    retryPolicy: { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy },
    replicationPolicy: { ...DEFAULT_REPLICATION_POLICY, ...deps.replicationPolicy },
    ca: trustedCas(target.tls.caFile),
    verifyTls: target.tls.verify,
    timeoutMs: deps.timeoutMs ?? 30_000,
    stats,
    logger,
    ...(deps.createLookup ? { createLookup: deps.createLookup } : {}),
  });

  return {
    stats,
    tokenTenantId: tokenTid,
    listNamedLocations: () => locations.listNamedLocations(req),
    findNamedLocationsByName: (name) => locations.findNamedLocationsByName(req, name),
    getNamedLocation: (id) => locations.getNamedLocation(req, id),
    createNamedLocation: (spec, options) => locations.createNamedLocation(req, spec, options),
    updateNamedLocation: (id, spec) => locations.updateNamedLocation(req, id, spec),
    deleteNamedLocation: (id, known, wait) => locations.deleteNamedLocation(req, id, { isTrusted: known?.isTrusted, wait: waitWith(wait) }),
    listPolicies: () => policies.listPolicies(req),
    getPolicy: (id) => policies.getPolicy(req, id),
    createPolicy: (body, options) => policies.createPolicy(req, body, options),
    waitPolicyReleases: (id, locationIds, wait) => policies.waitPolicyReleases(req, id, locationIds, waitWith(wait)),
    waitPolicyVisible: (id, wait) => policies.waitPolicyVisible(req, id, waitWith(wait)),
    waitPolicyGone: (id, wait) => policies.waitPolicyGone(req, id, waitWith(wait)),
    updatePolicy: (id, body) => policies.updatePolicy(req, id, body),
    setPolicyState: (id, state) => policies.setPolicyState(req, id, state),
    deletePolicy: (id) => policies.deletePolicy(req, id),
    evaluateWhatIf: (signIn) => evaluateWhatIf(req, signIn),
  };
}
