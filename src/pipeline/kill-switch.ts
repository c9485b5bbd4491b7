/**
 * The kill switch (issue #17): stop the enforcement of a target's blocking policy in one Graph
 * request, ahead of anything queued, with or without workers; and give it back.
 *
 * engageKillSwitch (`tq-entra disable`, the dashboard):
 *   1. record the switch in Redis (who, when, why, the state: `disabled` or report-only) BEFORE taking
 *      the lock: every reconcile that takes the lock from now on keeps the policy in that state
 *      (src/reconcile/plan-policy.ts), even if step 3 fails;
 *   2. take the target lock (src/state/target-lock.ts). A running reconcile holds it: wait for it
 *      up to `waitMs` (default 30 s, `--wait`), then take it over: the fencing token makes the
 *      reconcile's further writes and state updates fail (LockLostError; its job is retried and
 *      plans with the switch). A request it had already sent may still land after ours: its retry, or
 *      the next reconcile, puts the switch's state back;
 *   3. one PATCH `{state}` of the target's policy: its id from the hint the last reconcile left
 *      (kill-switch-store.ts), else (no hint, or the hint answers 404) one listing of the tenant's
 *      policies and the one-name rule (same-name-winner.ts). No policy yet: nothing is written; the
 *      reconcile that creates it creates it in the switch's state.
 *   The token's tenant is checked against the target's tenantId first (ERR_SAFETY_TENANT), as a
 *   reconcile does.
 *
 * releaseKillSwitch (`tq-entra enable`): under the lock (same wait and take-over), clear the record
 * (fenced), then one PATCH back to the configured `policy.state`; the next reconcile agrees. Not
 * engaged: nothing is done. Issue #17: no policy is enabled without the lockout guard and What If.
 * So when the configured state is `enabled` and a check applies (`safety.emergencyAccounts` /
 * `canaryUsers` set, or `policy.users` not managed by the configuration: the live policy's users are
 * judged), the PATCH under the lock is to report-only instead, and the lock released, a normal
 * reconcile (reconcileTarget, as `tq-entra apply`) plans the enable, runs What If and enables only
 * when the checks pass. Its refusal (ERR_SAFETY_WHATIF / ERR_SAFETY_LOCKOUT) is thrown to the
 * caller: the switch stays released, the policy report-only.
 *
 * `announceKillSwitch` is the one place the event leaves the process (today a structured log line
 * `kill switch engaged` / `kill switch released` with target, who, reason; notifications hook here).
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { isGuid, type Config, type TargetConfig } from '../config/schema.ts';
import { findTarget } from '../config/find-target.ts';
import { GraphNotFoundError } from '../graph/errors/graph-not-found-error.ts';
import { createGraphClient } from '../graph/graph-client.ts';
import type { GraphClient, PolicyState } from '../graph/graph-types.ts';
import { sameNameWinner } from '../graph/same-name-winner.ts';
import { getLogger, type Logger } from '../observability/logger.ts';
import { SafetyTenantError } from '../reconcile/errors/safety-tenant-error.ts';
import { lockWithHeartbeat, reconcileTarget } from '../reconcile/reconcile-target.ts';
import { newRunId } from './run-ids.ts';
import { clearKillSwitch, readKillSwitch, readPolicyIdHint, recordKillSwitch, rememberPolicyId, type KillSwitch, type KillSwitchState } from '../state/kill-switch-store.ts';
import { readObjectOwners } from '../state/owned-ranges-store.ts';
import { stateKeys, type StateKeys } from '../state/redis-keys.ts';
import type { TargetLock } from '../state/target-lock.ts';
import { LockBusyError } from '../state/errors/lock-busy-error.ts';

const REPORT_ONLY = 'enabledForReportingButNotEnforced';

/** How long the kill switch waits for a running reconcile to release the target before taking it over. */
export const KILL_SWITCH_WAIT_MS = 30_000;

export interface KillSwitchRequest {
  config: Config;
  redis: RedisClient;
  targetName: string;
  /** Who asks (recorded and logged). */
  by: string;
  /** Wait for a running reconcile this long, then take the lock over (default KILL_SWITCH_WAIT_MS). */
  waitMs?: number;
  logger?: Logger;
  /** The Graph client (default: one for the target, waiting through the tenant's throttling). */
  graph?: GraphClient;
}

export interface KillSwitchOutcome {
  target: string;
  /** The policy written (its id and the state it now has); undefined when the target has no policy yet. */
  policy: { id: string; state: PolicyState } | undefined;
  /** Graph write requests sent (1, or 0 without a policy). */
  graphWrites: number;
  /** How the target lock was had: free, after waiting for a running reconcile, or taken over from it. */
  lock: 'free' | 'waited' | 'taken over';
  /** The switch as it stands afterwards (undefined once released). */
  killSwitch: KillSwitch | undefined;
  /** release only: false when no kill switch was engaged (nothing was done). */
  changed: boolean;
}

export type KillSwitchEvent =
  | { kind: 'engaged'; target: string; by: string; reason: string; state: KillSwitchState; policyId: string | undefined }
  | { kind: 'released'; target: string; by: string; reason: string; state: PolicyState; policyId: string | undefined };

/** The single call site of the kill switch event (notifications are wired here). */
export function announceKillSwitch(event: KillSwitchEvent, log: Logger): void {
  switch (event.kind) {
    case 'engaged':
      log.warn('kill switch engaged', { ...event });
      return;
    case 'released':
      log.warn('kill switch released', { ...event });
      return;
    default: {
      const never: never = event;
      throw new Error(`unhandled kill switch event ${JSON.stringify(never)}`);
    }
  }
}

interface Held {
  lock: TargetLock;
  how: KillSwitchOutcome['lock'];
}

/** Run `fn` under the target lock: at once when free, else after waiting `waitMs`, else taken over. */
async function underLock<T>(req: KillSwitchRequest, keys: StateKeys, log: Logger, fn: (held: Held) => Promise<T>): Promise<T> {
  const started = Date.now();
  let how: Held['how'] = 'free';
  let had: Awaited<ReturnType<typeof lockWithHeartbeat>>;
  try {
    had = await lockWithHeartbeat(req.redis, keys, req.targetName, {});
  } catch (e) {
    if (!(e instanceof LockBusyError)) throw e;
    had = await lockWithHeartbeat(req.redis, keys, req.targetName, { lockWaitMs: req.waitMs ?? KILL_SWITCH_WAIT_MS, takeOver: true, pollMs: 100 });
    how = had.lock.tookOverFrom === undefined ? 'waited' : 'taken over';
  }
  const { lock, heartbeat } = had;
  if (lock.tookOverFrom !== undefined) {
    log.warn('kill switch took the target lock over from a running reconcile', { target: req.targetName, waitedMs: Date.now() - started, fromToken: lock.tookOverFrom, token: lock.token });
  }
  try {
    return await fn({ lock, how });
  } finally {
    clearInterval(heartbeat);
    await lock.release();
  }
}

/** The target's policy id: the hint, else one listing (the one-name rule, this target's recorded objects first). */
async function findPolicyId(graph: GraphClient, req: KillSwitchRequest, keys: StateKeys, target: TargetConfig, tenantId: string): Promise<string | undefined> {
  const owners = await readObjectOwners(req.redis, keys, tenantId);
  const self = new Set([...owners].filter(([, t]) => t === target.name).map(([id]) => id.toLowerCase()));
  const same = (await graph.listPolicies()).filter((p) => p.displayName === target.policy.name);
  return sameNameWinner(same, self)?.id;
}

/** One PATCH of the policy's state (a stale hint costs one listing more). Returns the id written, if any. */
async function patchPolicyState(graph: GraphClient, req: KillSwitchRequest, keys: StateKeys, lock: TargetLock, state: PolicyState): Promise<string | undefined> {
  const target = findTarget(req.config, req.targetName);
  const tenantId = await graph.tokenTenantId();
  if (isGuid(target.tenantId) && target.tenantId.toLowerCase() !== tenantId.toLowerCase()) throw new SafetyTenantError(target.name, target.tenantId, tenantId);
  const hint = await readPolicyIdHint(req.redis, keys, target.name);
  if (hint !== undefined) {
    try {
      await lock.assertHeld();
      await graph.setPolicyState(hint, state);
      return hint;
    } catch (e) {
      if (!(e instanceof GraphNotFoundError)) throw e;
    }
  }
  const id = await findPolicyId(graph, req, keys, target, tenantId);
  await rememberPolicyId(req.redis, keys, target.name, id);
  if (id === undefined) return undefined;
  await lock.assertHeld();
  await graph.setPolicyState(id, state);
  return id;
}

function graphOf(req: KillSwitchRequest): GraphClient {
  return req.graph ?? createGraphClient(findTarget(req.config, req.targetName), { redis: req.redis, prefix: req.config.redis.prefix, onThrottle: 'wait' });
}

/** The target's switch as Redis records it now (undefined: not engaged). */
export async function recordedKillSwitch(config: Config, redis: RedisClient, target: string): Promise<KillSwitch | undefined> {
  return readKillSwitch(redis, stateKeys(config.redis.prefix), target);
}

/** `tq-entra disable`: record the switch, then one PATCH of the policy's state under the target lock. */
export async function engageKillSwitch(req: KillSwitchRequest & { state: KillSwitchState; reason: string; now?: Date }): Promise<KillSwitchOutcome> {
  const target = findTarget(req.config, req.targetName);
  const keys = stateKeys(req.config.redis.prefix);
  const log = req.logger ?? getLogger('kill-switch');
  const ks: KillSwitch = { state: req.state, by: req.by, at: (req.now ?? new Date()).toISOString(), reason: req.reason };
  await recordKillSwitch(req.redis, keys, target.name, ks);
  const graph = graphOf(req);
  return underLock(req, keys, log, async ({ lock, how }) => {
    const id = await patchPolicyState(graph, req, keys, lock, req.state);
    announceKillSwitch({ kind: 'engaged', target: target.name, by: ks.by, reason: ks.reason, state: ks.state, policyId: id }, log);
    return { target: target.name, policy: id === undefined ? undefined : { id, state: req.state }, graphWrites: id === undefined ? 0 : 1, lock: how, killSwitch: ks, changed: true };
  });
}

/** True when enabling the target's policy needs the lockout guard or What If (see the header). */
function enableNeedsChecks(target: TargetConfig): boolean {
  if (target.policy.state !== 'enabled') return false;
  return target.safety.emergencyAccounts.length > 0 || target.safety.canaryUsers.length > 0 || target.policy.users === undefined;
}

/** `tq-entra enable`: clear the switch (fenced) and PATCH the configured state back, under the target lock. */
export async function releaseKillSwitch(req: KillSwitchRequest & { reason?: string }): Promise<KillSwitchOutcome> {
  const target = findTarget(req.config, req.targetName);
  const keys = stateKeys(req.config.redis.prefix);
  const log = req.logger ?? getLogger('kill-switch');
  const engaged = await readKillSwitch(req.redis, keys, target.name);
  if (!engaged) return { target: target.name, policy: undefined, graphWrites: 0, lock: 'free', killSwitch: undefined, changed: false };
  const graph = graphOf(req);
  if (enableNeedsChecks(target)) return releaseThroughReconcile(req, keys, log, graph);
  return underLock(req, keys, log, async ({ lock, how }) => {
    await clearKillSwitch(req.redis, keys, lock);
    const state = target.policy.state;
    const id = await patchPolicyState(graph, req, keys, lock, state);
    announceKillSwitch({ kind: 'released', target: target.name, by: req.by, reason: req.reason ?? '', state, policyId: id }, log);
    return { target: target.name, policy: id === undefined ? undefined : { id, state }, graphWrites: id === undefined ? 0 : 1, lock: how, killSwitch: undefined, changed: true };
  });
}

/** Release with checks: clear + report-only under the lock, then the reconcile enables only if the checks pass (throws its refusal). */
async function releaseThroughReconcile(req: KillSwitchRequest & { reason?: string }, keys: StateKeys, log: Logger, graph: GraphClient): Promise<KillSwitchOutcome> {
  const target = findTarget(req.config, req.targetName);
  const held = await underLock(req, keys, log, async ({ lock, how }) => {
    await clearKillSwitch(req.redis, keys, lock);
    return { id: await patchPolicyState(graph, req, keys, lock, REPORT_ONLY), how };
  });
  let state: PolicyState = REPORT_ONLY;
  let policyId = held.id;
  try {
    const result = await reconcileTarget({
      config: req.config, targetName: target.name, redis: req.redis, keys, graph, manual: false, force: false, dryRun: false, logger: log,
      lockWaitMs: req.waitMs ?? KILL_SWITCH_WAIT_MS, history: { run: newRunId('reconcile'), kind: 'reconcile' },
    });
    policyId = result.applied?.policyId ?? policyId;
    state = target.policy.state;
    const writes = (held.id === undefined ? 0 : 1) + (result.applied?.graphWrites ?? 0);
    return { target: target.name, policy: policyId === undefined ? undefined : { id: policyId, state }, graphWrites: writes, lock: held.how, killSwitch: undefined, changed: true };
  } finally {
    const reason = state === REPORT_ONLY ? `${req.reason ?? ''} (enable not done: the policy stays report-only)`.trim() : (req.reason ?? '');
    announceKillSwitch({ kind: 'released', target: target.name, by: req.by, reason, state, policyId }, log);
  }
}
