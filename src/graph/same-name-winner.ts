/**
 * Which of several Entra objects with one display name wins. Display names are not unique in Entra,
 * so every lookup by name needs a rule, and there is exactly one, here. It is used by:
 * - the plan: which live location is shard k of a target, which policy is the target's
 *   (src/reconcile/select-shards.ts, src/reconcile/plan.ts); the losers are duplicates;
 * - the lookup after an ambiguous create (named-locations.ts and conditional-access-policies.ts
 *   `create*`): which object a POST whose answer was lost created.
 * Both guard the same POST (invariant 6), so they must pick alike: otherwise apply writes into one
 * object and the next run plans on another (and deletes the first as a duplicate).
 *
 * The rule, in order:
 * 1. An object recorded as this target's own (the object-owner record, `ObjectOwners.self` in
 *    src/reconcile/object-owners.ts) wins over one that is not: an administrator's look-alike of the
 *    same name, however old, never takes the place of the object the service created, claimed and
 *    whose ranges its owned-ranges record describes (and is never written into).
 * 2. Then the oldest (`createdDateTime`; a missing or unreadable date counts as the youngest): the
 *    first object of a name is the one earlier runs saw and policies reference; younger ones are
 *    repeats of an ambiguous create.
 * 3. Then the smallest id, so the choice is deterministic.
 *
 * The lookup after an ambiguous create leaves out the objects of the name that existed before the
 * POST (`ignoreIds`) and can know no ownership for what it finds (nothing is recorded before a POST
 * returns an id), so rule 2 picks the first POST that landed; apply records that one as the target's,
 * so from the next run on rule 1 keeps it, whatever younger repeat the listing also shows (the plan
 * deletes such a repeat when it is ours and referenced by no policy).
 */

/** What the rule reads of an object. */
export interface NamedObject {
  id: string;
  createdDateTime: string;
}

/** Is this object recorded as the target's own? (ids compared in lower case) */
export type OwnedIds = ReadonlySet<string> | undefined;

function createdMs(o: NamedObject): number {
  const t = Date.parse(o.createdDateTime);
  return Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER;
}

/** Comparator of the rule: the winner sorts first. `owned` holds lower-case ids. */
export function sameNameOrder(owned?: OwnedIds): (a: NamedObject, b: NamedObject) => number {
  const rank = (o: NamedObject): number => (owned?.has(o.id.toLowerCase()) ? 0 : 1);
  return (a, b) => rank(a) - rank(b) || createdMs(a) - createdMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The winner among objects sharing one display name (undefined when there are none). */
export function sameNameWinner<T extends NamedObject>(objects: readonly T[], owned?: OwnedIds): T | undefined {
  return [...objects].sort(sameNameOrder(owned))[0];
}
