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
 *
 * One handler per step kind (`HANDLERS`, a table typed so that every kind has exactly one); they share
 * the run's state in an ApplyContext (ids of the shards created so far, policies rewritten, …).
 */
import { releaseHeap } from '../observability/heap-release.ts';
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Logger } from 'winston';
import type { GraphClient, PolicyBody } from '../graph/graph-types.ts';
import { sameCidrs } from '../ranges/index.ts';
import { getLogger } from '../observability/logger.ts';
import { claimObjects, recordOwnedChange, releaseObjects, replaceOwnedRanges } from '../state/owned-ranges-store.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import type { TargetLock } from '../state/target-lock.ts';
import type { ConsistencyPolicy, WaitOptions } from '../graph/consistency.ts';
import type { ConsistencyWaitReport } from '../graph/errors/graph-not-consistent-error.ts';
import { SafetyOwnedByOtherTargetError } from './errors/safety-owned-error.ts';
import type { CreateLocationStep, CreatePolicyStep, DeleteLocationStep, DeletePolicyStep, Plan, PlanStep, PlanStepOf, RemoveLocationFromPolicyStep, UpdateLocationStep, UpdatePolicyStep } from './plan-types.ts';
import { resolvePolicyBody } from './policy-body.ts';

export interface ApplyDeps {
  graph: GraphClient;
  redis: RedisClient;
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

type ObjectName = { kind: 'named location' | 'policy'; displayName: string };

/** What the handlers share during one apply. */
interface ApplyContext {
  plan: Plan;
  deps: ApplyDeps;
  log: Logger;
  /** Ids of the locations created so far, by shard index (resolve the policy's LocationRefs). */
  created: Map<number, string>;
  steps: AppliedStep[];
  policyId: string | undefined;
  waitOptions: WaitOptions;
  consistency: ApplyResult['consistency'];
  /** Policies this run rewrote: read until they release the locations about to be deleted. */
  rewrittenPolicies: Set<string>;
  /** Has ensureReleased run (it runs once, before the first location delete)? */
  released: boolean;
  deletedLocationIds: string[];
  /** Names of the plan's objects by id (lower case), for a claim conflict's error. */
  names: Map<string, ObjectName>;
}

const isStep =
  <K extends PlanStep['kind']>(...kinds: K[]) =>
  (st: PlanStep): st is PlanStepOf<K> =>
    (kinds as string[]).includes(st.kind);

function objectNames(plan: Plan): Map<string, ObjectName> {
  const names = new Map<string, ObjectName>();
  for (const l of plan.locations) if (l.id) names.set(l.id.toLowerCase(), { kind: 'named location', displayName: l.displayName });
  for (const st of plan.steps.filter(isStep('updatePolicy', 'removeLocationFromPolicy', 'deletePolicy'))) names.set(st.id.toLowerCase(), { kind: 'policy', displayName: st.displayName });
  return names;
}

function applyContext(plan: Plan, deps: ApplyDeps): ApplyContext {
  const log = deps.logger ?? getLogger('reconcile');
  const consistency: ApplyResult['consistency'] = { waits: 0, waitedMs: 0, details: [] };
  const waitOptions: WaitOptions = {
    policy: deps.consistency,
    sleep: deps.sleep ?? realSleep,
    heartbeat: async () => {
      await deps.lock.extend();
    },
    onWait: (r) => {
      consistency.waits += 1;
      consistency.waitedMs += r.waitedMs;
      consistency.details.push(r);
      if (r.reads > 1) log.info('waited for Graph to agree before a destructive step', { ...r });
    },
  };
  const deletedLocationIds = plan.steps.filter(isStep('deleteLocation')).map((st) => st.id);
  return { plan, deps, log, created: new Map(), steps: [], policyId: plan.policy.id, waitOptions, consistency, rewrittenPolicies: new Set(), released: false, deletedLocationIds, names: objectNames(plan) };
}

/** Record ids as this target's; refuse (before writing them) an id another target holds. */
async function claim(ctx: ApplyContext, ids: readonly string[], takeover: readonly string[] = [], hint?: ObjectName): Promise<void> {
  const { deps } = ctx;
  if (!deps.ownership) return;
  const conflict = await claimObjects(deps.redis, deps.keys, deps.lock, deps.ownership.tenantId, ids, takeover);
  if (conflict) {
    const obj = ctx.names.get(conflict.id) ?? hint ?? { kind: 'named location' as const, displayName: conflict.id };
    throw new SafetyOwnedByOtherTargetError(deps.lock.target, { ...obj, id: conflict.id }, conflict.owner, true);
  }
}

async function release(ctx: ApplyContext, id: string): Promise<void> {
  const { deps } = ctx;
  if (deps.ownership) await releaseObjects(deps.redis, deps.keys, deps.lock, deps.ownership.tenantId, [id]);
}

/** Consistent before destructive: once, before the first location delete, the rewritten policies release them. */
async function ensureReleased(ctx: ApplyContext): Promise<void> {
  if (ctx.released) return;
  ctx.released = true;
  if (ctx.deletedLocationIds.length === 0) return;
  for (const pid of ctx.rewrittenPolicies) {
    await ctx.deps.graph.waitPolicyReleases(pid, ctx.deletedLocationIds, ctx.waitOptions);
    await ctx.deps.lock.extend();
  }
}

async function createLocation(step: CreateLocationStep, ctx: ApplyContext): Promise<void> {
  const { graph, redis, keys, lock } = ctx.deps;
  const spec = { displayName: step.displayName, ipRanges: step.ranges, isTrusted: step.isTrusted };
  const made = await graph.createNamedLocation(spec);
  await claim(ctx, [made.id], [], { kind: 'named location', displayName: step.displayName });
  // A location found by the lookup after an ambiguous POST may hold other content: bring it in line.
  const differs = !sameCidrs(made.ipRanges, step.ranges) || made.isTrusted !== step.isTrusted;
  const outcome: AppliedStep['outcome'] = differs ? 'reused' : 'done';
  if (differs) {
    await lock.assertHeld();
    await graph.updateNamedLocation(made.id, spec);
  }
  ctx.created.set(step.shard, made.id);
  await recordOwnedChange(redis, keys, lock, step.ownedAdd, step.ownedRemove);
  ctx.steps.push({ kind: step.kind, displayName: step.displayName, id: made.id, outcome, added: step.ranges.length, removed: 0 });
  ctx.log.info('named location created', { displayName: step.displayName, id: made.id, ranges: step.ranges.length, outcome });
}

async function updateLocation(step: UpdateLocationStep, ctx: ApplyContext): Promise<void> {
  const { graph, redis, keys, lock } = ctx.deps;
  await graph.updateNamedLocation(step.id, { displayName: step.displayName, ipRanges: step.ranges, isTrusted: step.isTrusted });
  await recordOwnedChange(redis, keys, lock, step.ownedAdd, step.ownedRemove);
  ctx.steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done', added: step.added.length, removed: step.removed.length });
  ctx.log.info('named location updated', { displayName: step.displayName, id: step.id, added: step.added.length, removed: step.removed.length });
}

async function deleteLocation(step: DeleteLocationStep, ctx: ApplyContext): Promise<void> {
  const { graph, redis, keys, lock } = ctx.deps;
  await ensureReleased(ctx);
  await lock.assertHeld();
  await graph.deleteNamedLocation(step.id, { isTrusted: step.isTrusted }, ctx.waitOptions);
  await recordOwnedChange(redis, keys, lock, [], step.ownedRemove);
  await release(ctx, step.id);
  ctx.steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done', removed: step.removed.length });
  ctx.log.info('named location deleted', { displayName: step.displayName, id: step.id });
}

async function deletePolicy(step: DeletePolicyStep, ctx: ApplyContext): Promise<void> {
  const { graph } = ctx.deps;
  await graph.deletePolicy(step.id);
  await release(ctx, step.id);
  // Read until gone (several 404s in a row): it then references nothing, and no later listing sees it.
  await graph.waitPolicyGone(step.id, ctx.waitOptions);
  if (ctx.policyId === step.id) ctx.policyId = undefined;
  ctx.steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done' });
  ctx.log.info('policy deleted', { displayName: step.displayName, id: step.id, reason: step.reason });
}

async function createPolicy(step: CreatePolicyStep, ctx: ApplyContext): Promise<void> {
  const { graph } = ctx.deps;
  const body: PolicyBody = resolvePolicyBody(step.body, ctx.created);
  // Same-named policies that existed before (the one a deleteExisting run replaces) are never
  // taken for the new one when an ambiguous POST is recovered by a lookup.
  const ignoreIds = [ctx.plan.policy.id, ...ctx.plan.steps.filter(isStep('deletePolicy')).map((st) => st.id)].filter((x): x is string => x !== undefined);
  const policyId = (await graph.createPolicy(body, { ignoreIds })).id;
  ctx.policyId = policyId;
  await claim(ctx, [policyId], [], { kind: 'policy', displayName: step.displayName });
  // Read it back until several reads agree: a run that starts right after this one must list it,
  // or it would create a second policy (names are not unique). Also before deleting the old one.
  await graph.waitPolicyVisible(policyId, ctx.waitOptions);
  ctx.steps.push({ kind: step.kind, displayName: step.displayName, id: policyId, outcome: 'done' });
  ctx.log.info('policy created', { displayName: step.displayName, id: policyId, state: body.state });
}

/** updatePolicy and removeLocationFromPolicy: one PATCH with the full managed body. */
async function updatePolicy(step: UpdatePolicyStep | RemoveLocationFromPolicyStep, ctx: ApplyContext): Promise<void> {
  const body: PolicyBody = resolvePolicyBody(step.body, ctx.created);
  await ctx.deps.lock.assertHeld();
  await ctx.deps.graph.updatePolicy(step.id, body);
  ctx.rewrittenPolicies.add(step.id);
  ctx.policyId = step.id;
  ctx.steps.push({ kind: step.kind, displayName: step.displayName, id: step.id, outcome: 'done' });
  ctx.log.info('policy updated', { displayName: step.displayName, id: step.id, fields: step.changes.map((c) => c.field) });
}

/** One handler per step kind: the mapped type makes a missing or mistyped handler a compile error. */
const HANDLERS: { [K in PlanStep['kind']]: (step: PlanStepOf<K>, ctx: ApplyContext) => Promise<void> } = {
  createLocation,
  updateLocation,
  deleteLocation,
  createPolicy,
  updatePolicy,
  removeLocationFromPolicy: updatePolicy,
  deletePolicy,
};

function runStep(step: PlanStep, ctx: ApplyContext): Promise<void> {
  // HANDLERS[step.kind] takes exactly this step's type; TypeScript cannot correlate the two through the union.
  const handler = HANDLERS[step.kind] as (s: PlanStep, c: ApplyContext) => Promise<void>;
  return handler(step, ctx);
}

export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyResult> {
  const [refusal] = plan.refusals;
  if (refusal) throw refusal;
  const { graph, redis, keys, lock } = deps;
  const writesBefore = graph.stats.writes;
  const ctx = applyContext(plan, deps);
  await lock.assertHeld();
  await claim(ctx, plan.ownership.claim, plan.ownership.takeover);
  for (const step of plan.steps) {
    releaseHeap(); // before each write: the plan's working set, then each write's garbage (see the header of heap-release.ts)
    // Before each write: still the holder; after it: the lease renewed (invariant 2).
    await lock.assertHeld();
    await runStep(step, ctx);
    await lock.extend();
  }
  if (plan.ownedCleanup.length > 0) await recordOwnedChange(redis, keys, lock, [], plan.ownedCleanup);
  if (plan.ownedReplace) await replaceOwnedRanges(redis, keys, lock, plan.ownedReplace);
  return {
    steps: ctx.steps,
    graphWrites: graph.stats.writes - writesBefore,
    created: Object.fromEntries(ctx.created),
    policyId: ctx.policyId,
    consistency: ctx.consistency,
  };
}
