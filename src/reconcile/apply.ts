/**
 * applyPlan: perform a Plan through the GraphClient, under the target lock.
 *
 * - Refuses (throws the first refusal, before any request) when the plan carries a safety refusal.
 * - Before each write: `lock.assertHeld()`; after it: `lock.extend()`, so a holder that lost the lock
 *   stops writing (invariant 2).
 * - A location is created only after a fresh lookup by name right before the POST shows it is absent;
 *   when present (a retried run, or a POST whose response was lost) it is reused and PATCHed only if
 *   its content differs (invariant 6). The same holds for the policy.
 * - Ownership between targets (with `ownership`): before the first write every object the target
 *   manages is claimed in the per-tenant record, atomically and fenced; an object another target holds
 *   is refused (ERR_SAFETY_OWNED_BY_OTHER_TARGET) before anything is written. A location or policy a
 *   lookup finds and reuses is claimed before it is written; created ones are claimed, deleted released.
 * - The owned-ranges record is updated after each successful location write, fenced by the lock
 *   token; stale entries are dropped, and a `clear` run replaces the record, only once every step
 *   succeeded.
 * - A created location is referenced by the policy only once `getNamedLocation` returns it: polled
 *   with backoff (250 ms doubling, capped at 5 s), bounded by `visibilityTimeoutMs` (default 2 min).
 *   The Graph client also retries the `1040 … does not exist` answer on its own.
 * A failure between writes leaves Entra consistent enough for the next run to converge: every write
 * is a full desired state for its object, and the next plan starts from what Graph then holds.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'winston';
import type { GraphClient, NamedLocation, PolicyBody } from '../graph/graph-types.ts';
import { sameCidrs } from '../graph/graph-compare.ts';
import { getLogger } from '../ops/logger.ts';
import { claimObjects, recordOwnedChange, releaseObjects, replaceOwnedRanges } from '../pipeline/owned-ranges-store.ts';
import type { StateKeys } from '../pipeline/redis-keys.ts';
import type { TargetLock } from '../pipeline/target-lock.ts';
import { LocationNotVisibleError } from './errors/location-not-visible-error.ts';
import { SafetyOwnedByOtherTargetError } from './errors/safety-owned-error.ts';
import { byAge } from './select-shards.ts';
import type { Plan, PlanStep } from './plan-types.ts';
import { shardRefIndex } from './shard-names.ts';

export interface ApplyDeps {
  graph: GraphClient;
  redis: Redis;
  keys: StateKeys;
  lock: TargetLock;
  logger?: Logger;
  /** Longest wait for a created location to become readable (default 120 000 ms). */
  visibilityTimeoutMs?: number;
  /** First poll delay (default 250 ms; doubles, capped at 5 s). */
  visibilityPollMs?: number;
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
  const visible = new Set<string>();
  /** Policies deleted by this run: a lookup may still list them until Graph replicates the delete. */
  const deletedPolicies = new Set<string>();
  const steps: AppliedStep[] = [];
  let policyId = plan.policy.id;

  const before = async () => {
    await lock.assertHeld();
  };
  const after = async () => {
    await lock.extend();
  };

  const waitVisible = async (id: string, displayName: string) => {
    if (visible.has(id)) return;
    const limit = deps.visibilityTimeoutMs ?? 120_000;
    let delay = deps.visibilityPollMs ?? 250;
    const started = Date.now();
    for (;;) {
      if (await graph.getNamedLocation(id)) break;
      const waited = Date.now() - started;
      if (waited + delay > limit) throw new LocationNotVisibleError(displayName, id, waited);
      log.info('waiting for a new named location to replicate', { displayName, id, delayMs: delay });
      await sleep(delay);
      await lock.extend();
      delay = Math.min(delay * 2, 5000);
    }
    visible.add(id);
  };

  const resolveBody = async (body: PolicyBody): Promise<PolicyBody> => {
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
    for (const [shard, id] of created) {
      if (locations.includeLocations.includes(id) || locations.excludeLocations.includes(id)) {
        await waitVisible(id, `shard ${shard}`);
      }
    }
    return { ...body, conditions: { ...body.conditions, locations } };
  };

  const lookupLocation = async (displayName: string): Promise<NamedLocation | undefined> =>
    (await graph.findNamedLocationsByName(displayName)).sort(byAge)[0];

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
        const existing = await lookupLocation(step.displayName);
        let id: string;
        let outcome: AppliedStep['outcome'] = 'done';
        if (existing) {
          id = existing.id;
          outcome = 'reused';
          await claim([id], [], { kind: 'named location', displayName: step.displayName });
          if (existing.isTrusted !== step.isTrusted || !sameCidrs(existing.ipRanges, step.ranges)) {
            await before();
            await graph.updateNamedLocation(id, spec);
          } else {
            outcome = 'unchanged';
          }
          visible.add(id);
        } else {
          id = (await graph.createNamedLocation(spec)).id;
          await claim([id]);
        }
        created.set(step.shard, id);
        await recordOwnedChange(redis, keys, lock, step.ownedAdd, step.ownedRemove);
        steps.push({ kind: step.kind, displayName: step.displayName, id, outcome, added: step.ranges.length, removed: 0 });
        log.info('named location created', { displayName: step.displayName, id, ranges: step.ranges.length, outcome });
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
        await graph.deleteNamedLocation(step.id, { isTrusted: step.isTrusted });
        await recordOwnedChange(redis, keys, lock, [], step.ownedRemove);
        await release(step.id);
        steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done', removed: step.removed.length });
        log.info('named location deleted', { displayName: step.displayName, id: step.id });
        break;
      }
      case 'deletePolicy': {
        await graph.deletePolicy(step.id);
        await release(step.id);
        deletedPolicies.add(step.id);
        if (policyId === step.id) policyId = undefined;
        steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done' });
        log.info('policy deleted', { displayName: step.displayName, id: step.id, reason: step.reason });
        break;
      }
      case 'createPolicy': {
        const body = await resolveBody(step.body);
        const existing = (await graph.listPolicies())
          .filter((p) => p.displayName === step.displayName && !deletedPolicies.has(p.id))
          .sort(byAge)[0];
        await before();
        if (existing) {
          await claim([existing.id], [], { kind: 'policy', displayName: step.displayName });
          await graph.updatePolicy(existing.id, body);
          policyId = existing.id;
          steps.push({ kind: step.kind, displayName: step.displayName, id: existing.id, outcome: 'reused' });
        } else {
          policyId = (await graph.createPolicy(body)).id;
          await claim([policyId]);
          steps.push({ kind: step.kind, displayName: step.displayName, id: policyId, outcome: 'done' });
        }
        log.info('policy created', { displayName: step.displayName, id: policyId, state: body.state });
        break;
      }
      case 'updatePolicy':
      case 'removeLocationFromPolicy': {
        const body = await resolveBody(step.body);
        await before();
        await graph.updatePolicy(step.id, body);
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
  };
}
