/**
 * applyPlan: perform a Plan through the GraphClient, under the target lock.
 *
 * - Refuses (throws the first refusal, before any request) when the plan carries a safety refusal.
 * - Before each write: `lock.assertHeld()`; after it: `lock.extend()`, so a holder that lost the lock
 *   stops writing (invariant 2).
 * - Creates rely on the one listing reconcile made under the target lock (no lookup before each POST:
 *   at 1 request/s every request is a second). After an ambiguous create failure (timeout, 5xx) the
 *   Graph client looks the name up several times over ~30 s before it creates again (invariant 6).
 * - Consistent before destructive (invariant 9): before deleting emptied locations, every policy this
 *   run rewrote is read until several reads in a row show it no longer references them; a deleted
 *   policy or location is read until several reads in a row answer 404; a trusted location is untrusted and read until untrusted; a DELETE refused with 400 is
 *   retried. Every wait is bounded (`consistency`, src/graph/consistency.ts) and reported in
 *   `ApplyResult.consistency`; GraphNotConsistentError when a bound is reached.
 * - Ownership between targets (with `ownership`): before the first write every object the target
 *   manages is claimed in the per-tenant record, atomically and fenced; an object another target holds
 *   is refused (ERR_SAFETY_OWNED_BY_OTHER_TARGET) before anything is written. A location or policy a
 *   lookup finds and reuses is claimed before it is written; created ones are claimed, deleted released.
 * - The owned-ranges record is updated after each successful location write, fenced by the lock
 *   token; stale entries are dropped, and a `clear` run replaces the record, only once every step
 *   succeeded.
 * - A created location is referenced by the policy right away: when Graph answers `1040 … does not
 *   exist` (not replicated yet) the Graph client retries with bounded backoff, so no read is spent per
 *   created location.
 * A failure between writes leaves Entra consistent enough for the next run to converge: every write
 * is a full desired state for its object, and the next plan starts from what Graph then holds.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'winston';
import type { GraphClient, PolicyBody } from '../graph/graph-types.ts';
import { sameCidrs } from '../ranges/index.ts';
import { getLogger } from '../observability/logger.ts';
import { claimObjects, recordOwnedChange, releaseObjects, replaceOwnedRanges } from '../pipeline/owned-ranges-store.ts';
import type { StateKeys } from '../pipeline/redis-keys.ts';
import type { TargetLock } from '../pipeline/target-lock.ts';
import type { ConsistencyPolicy, WaitOptions } from '../graph/consistency.ts';
import type { ConsistencyWaitReport } from '../graph/errors/graph-not-consistent-error.ts';
import { SafetyOwnedByOtherTargetError } from './errors/safety-owned-error.ts';
import type { Plan, PlanStep } from './plan-types.ts';
import { shardRefIndex } from './shard-names.ts';

export interface ApplyDeps {
  graph: GraphClient;
  redis: Redis;
  keys: StateKeys;
  lock: TargetLock;
  logger?: Logger;
  /** Consistency waits before destructive steps (default DEFAULT_CONSISTENCY_POLICY: 3 reads in a row, ≤ 180 s). */
  consistency?: Partial<ConsistencyPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Keep the per-tenant ownership record (tenant id of the Graph token): claim plan.ownership before
   * the first write, claim created or reused objects, release deleted ones. Absent: no record kept.
   */
  ownership?: { tenantId: string };
}

export interface AppliedStep {
  kind: PlanStep['kind'];
  displayName: string;
  id: string;
  /** `reused`: a fresh lookup found the object a lost POST had created. */
  outcome: 'done' | 'reused' | 'unchanged';
  added?: number;
  removed?: number;
}

export interface ApplyResult {
  /** Steps performed (one Graph write each, plus a trusted-flag PATCH before deleting a trusted location). */
  steps: AppliedStep[];
  /** Graph write requests actually sent during apply (retries included). */
  graphWrites: number;
  /** Ids of the locations this run created, by shard index. */
  created: Record<number, string>;
  policyId: string | undefined;
  /** Consistency waits before destructive steps: how many, their total wall time, and each one. */
  consistency: { waits: number; waitedMs: number; details: ConsistencyWaitReport[] };
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyResult> {
  const [refusal] = plan.refusals;
  if (refusal) throw refusal;
  const { graph, redis, keys, lock } = deps;
  const log = deps.logger ?? getLogger('reconcile');
  const sleep = deps.sleep ?? realSleep;
  const writesBefore = graph.stats.writes;
  const created = new Map<number, string>();
  const steps: AppliedStep[] = [];
  let policyId = plan.policy.id;

  const before = async () => {
    await lock.assertHeld();
  };
  const after = async () => {
    await lock.extend();
  };

  const consistency: ApplyResult['consistency'] = { waits: 0, waitedMs: 0, details: [] };
  const waitOptions: WaitOptions = {
    policy: deps.consistency,
    sleep,
    heartbeat: async () => {
      await lock.extend();
    },
    onWait: (r) => {
      consistency.waits += 1;
      consistency.waitedMs += r.waitedMs;
      consistency.details.push(r);
      if (r.reads > 1) log.info('waited for Graph to agree before a destructive step', { ...r });
    },
  };
  /** Policies this run rewrote or deleted: read until they release the locations about to be deleted. */
  const rewrittenPolicies = new Set<string>();
  let released = false;
  const deletedLocationIds = plan.steps.filter((st) => st.kind === 'deleteLocation').map((st) => (st as { id: string }).id);
  const ensureReleased = async () => {
    if (released) return;
    released = true;
    if (deletedLocationIds.length === 0) return;
    for (const pid of rewrittenPolicies) {
      await graph.waitPolicyReleases(pid, deletedLocationIds, waitOptions);
      await lock.extend();
    }
  };

  const resolveBody = (body: PolicyBody): PolicyBody => {
    const resolve = (ids: readonly string[]) =>
      ids.map((v) => {
        const shard = shardRefIndex(v);
        if (shard === undefined) return v;
        const id = created.get(shard);
        if (id === undefined) throw new Error(`internal: plan references shard ${shard} that was not created`);
        return id;
      });
    const loc = body.conditions.locations;
    const locations = { includeLocations: resolve(loc.includeLocations), excludeLocations: resolve(loc.excludeLocations) };
    return { ...body, conditions: { ...body.conditions, locations } };
  };

  const names = new Map<string, { kind: 'named location' | 'policy'; displayName: string }>();
  for (const l of plan.locations) if (l.id) names.set(l.id.toLowerCase(), { kind: 'named location', displayName: l.displayName });
  for (const st of plan.steps) if ('id' in st && st.kind.endsWith('Policy')) names.set(st.id.toLowerCase(), { kind: 'policy', displayName: st.displayName });
  /** Record ids as this target's; refuse (before writing them) an id another target holds. */
  const claim = async (ids: readonly string[], takeover: readonly string[] = [], hint?: { kind: 'named location' | 'policy'; displayName: string }) => {
    if (!deps.ownership) return;
    const conflict = await claimObjects(redis, keys, lock, deps.ownership.tenantId, ids, takeover);
    if (conflict) {
      const obj = names.get(conflict.id) ?? hint ?? { kind: 'named location' as const, displayName: conflict.id };
      throw new SafetyOwnedByOtherTargetError(lock.target, { ...obj, id: conflict.id }, conflict.owner, true);
    }
  };
  const release = async (id: string) => {
    if (deps.ownership) await releaseObjects(redis, keys, lock, deps.ownership.tenantId, [id]);
  };

  await before();
  await claim(plan.ownership.claim, plan.ownership.takeover);

  for (const step of plan.steps) {
    await before();
    switch (step.kind) {
      case 'createLocation': {
        const spec = { displayName: step.displayName, ipRanges: step.ranges, isTrusted: step.isTrusted };
        const made = await graph.createNamedLocation(spec);
        await claim([made.id], [], { kind: 'named location', displayName: step.displayName });
        // A location found by the lookup after an ambiguous POST may hold other content: bring it in line.
        const differs = !sameCidrs(made.ipRanges, step.ranges) || made.isTrusted !== step.isTrusted;
        const outcome: AppliedStep['outcome'] = differs ? 'reused' : 'done';
        if (differs) {
          await before();
          await graph.updateNamedLocation(made.id, spec);
        }
        created.set(step.shard, made.id);
        await recordOwnedChange(redis, keys, lock, step.ownedAdd, step.ownedRemove);
        steps.push({ kind: step.kind, displayName: step.displayName, id: made.id, outcome, added: step.ranges.length, removed: 0 });
        log.info('named location created', { displayName: step.displayName, id: made.id, ranges: step.ranges.length, outcome });
        break;
      }
      case 'updateLocation': {
        await graph.updateNamedLocation(step.id, { displayName: step.displayName, ipRanges: step.ranges, isTrusted: step.isTrusted });
        await recordOwnedChange(redis, keys, lock, step.ownedAdd, step.ownedRemove);
        steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done', added: step.added.length, removed: step.removed.length });
        log.info('named location updated', { displayName: step.displayName, id: step.id, added: step.added.length, removed: step.removed.length });
        break;
      }
      case 'deleteLocation': {
        await ensureReleased();
        await before();
        await graph.deleteNamedLocation(step.id, { isTrusted: step.isTrusted }, waitOptions);
        await recordOwnedChange(redis, keys, lock, [], step.ownedRemove);
        await release(step.id);
        steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done', removed: step.removed.length });
        log.info('named location deleted', { displayName: step.displayName, id: step.id });
        break;
      }
      case 'deletePolicy': {
        await graph.deletePolicy(step.id);
        await release(step.id);
        // Read until gone (several 404s in a row): it then references nothing, and no later listing sees it.
        await graph.waitPolicyGone(step.id, waitOptions);
        if (policyId === step.id) policyId = undefined;
        steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done' });
        log.info('policy deleted', { displayName: step.displayName, id: step.id, reason: step.reason });
        break;
      }
      case 'createPolicy': {
        const body = resolveBody(step.body);
        // Same-named policies that existed before (the one a deleteExisting run replaces) are never
        // taken for the new one when an ambiguous POST is recovered by a lookup.
        const ignoreIds = [plan.policy.id, ...plan.steps.filter((st) => st.kind === 'deletePolicy').map((st) => (st as { id: string }).id)].filter(
          (x): x is string => x !== undefined,
        );
        policyId = (await graph.createPolicy(body, { ignoreIds })).id;
        await claim([policyId], [], { kind: 'policy', displayName: step.displayName });
        // Read it back until several reads agree: a run that starts right after this one must list it,
        // or it would create a second policy (names are not unique). Also before deleting the old one.
        await graph.waitPolicyVisible(policyId, waitOptions);
        steps.push({ kind: step.kind, displayName: step.displayName, id: policyId, outcome: 'done' });
        log.info('policy created', { displayName: step.displayName, id: policyId, state: body.state });
        break;
      }
      case 'updatePolicy':
      case 'removeLocationFromPolicy': {
        const body = resolveBody(step.body);
        await before();
        await graph.updatePolicy(step.id, body);
        rewrittenPolicies.add(step.id);
        policyId = step.id;
        steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done' });
        log.info('policy updated', { displayName: step.displayName, id: step.id, fields: step.changes.map((c) => c.field) });
        break;
      }
    }
    await after();
  }

  if (plan.ownedCleanup.length > 0) await recordOwnedChange(redis, keys, lock, [], plan.ownedCleanup);
  if (plan.ownedReplace) await replaceOwnedRanges(redis, keys, lock, plan.ownedReplace);

  return {
    steps,
    graphWrites: graph.stats.writes - writesBefore,
    created: Object.fromEntries(created),
    policyId,
    consistency,
  };
}
