/**
 * The write-back diff (pure): what to write on one ThreatQ indicator, given what the service wrote on
 * it before (its record entry, state/writeback-store.ts), the targets that enforce its range now, and
 * the source's `writeBack` settings. Nothing already written is written again, so a re-run with no
 * change plans no operation.
 *
 * Enforced (at least one target's owned ranges cover the indicator's range):
 *   - the tag `tag` is attached (unless `tag: false`); a `removedTag` written earlier is taken off;
 *   - each enforcing target has an attribute `attribute` = "<target> since <ISO time>" (unless
 *     `attribute: false`); one marked removed earlier is updated to a new "since" (PUT, same id);
 *   - a target that stopped enforcing it: its attribute is deleted (`onRemoval: untag`) or updated
 *     to "<target> since <ISO time>, removed <ISO time>" (`onRemoval: tag`).
 * Not enforced (no target covers it, or the value is not an address):
 *   - `onRemoval: untag`: the tag and every attribute written are deleted (the entry goes);
 *   - `onRemoval: tag`: the tag is taken off, `removedTag` attached, attributes marked removed as
 *     above (the entry stays, so the indicator is not marked again on the next run).
 *   An indicator the service never wrote on gets nothing.
 * A tag or attribute written under another name than the one configured now (`_names`) is replaced;
 * an id whose name is not known is kept as it is. Times are the job's `at` (the same on every attempt
 * of the job, so a retried attribute POST carries the same value).
 */
import type { WriteBackConfig } from '../../../config/schema.ts';
import type { WriteBackEntry, WrittenAttributeRecord } from '../../../state/writeback-store.ts';

export type WriteBackSettings = Pick<WriteBackConfig, 'tag' | 'attribute' | 'onRemoval' | 'removedTag'>;

/** `tag` is writeBack.tag, `removedTag` writeBack.removedTag. */
type TagRole = 'tag' | 'removedTag';

export type WriteOp =
  | { kind: 'addTag'; role: TagRole; name: string }
  | { kind: 'removeTag'; role: TagRole; tagId: number }
  | { kind: 'addAttribute'; target: string; name: string; value: string; since: number }
  | { kind: 'updateAttribute'; target: string; attributeId: number; value: string; since: number; removed?: number }
  | { kind: 'removeAttribute'; target: string; attributeId: number };

export interface IndicatorState {
  /** What the service wrote before, if anything. */
  entry: WriteBackEntry | undefined;
  /** Targets whose owned ranges cover the indicator's range now (empty: not enforced). */
  enforcedBy: readonly string[];
  settings: WriteBackSettings;
  /** `tag:<id>` / `attr:<type id>` → the name it was written under. */
  names: ReadonlyMap<string, string>;
  /** Epoch seconds of this run. */
  at: number;
}

/** `2024-05-01T10:00:00Z`. */
function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function enforcedValue(target: string, since: number): string {
  return `${target} since ${isoSeconds(since)}`;
}

function removedValue(target: string, since: number, removed: number): string {
  return `${enforcedValue(target, since)}, removed ${isoSeconds(removed)}`;
}

/**
 * Is the id recorded under another name than `want`? Unknown ids are taken as matching; tag names
 * compare without case (ThreatQ's are unique regardless of case), attribute names exactly.
 */
function renamed(names: ReadonlyMap<string, string>, key: string, want: string): boolean {
  const had = names.get(key);
  if (had === undefined) return false;
  return key.startsWith('tag:') ? had.toLowerCase() !== want.toLowerCase() : had !== want;
}

function tagOps(s: IndicatorState, enforced: boolean): WriteOp[] {
  const { entry, settings, names } = s;
  const wants: Record<TagRole, string | false> = {
    tag: enforced ? settings.tag : false,
    removedTag: !enforced && settings.onRemoval === 'tag' && entry !== undefined ? settings.removedTag : false,
  };
  const ops: WriteOp[] = [];
  for (const role of ['tag', 'removedTag'] as const) {
    const want = wants[role];
    const have = entry?.[role];
    const stale = have !== undefined && (want === false || renamed(names, `tag:${have}`, want));
    if (stale) ops.push({ kind: 'removeTag', role, tagId: have });
    if (want !== false && (have === undefined || stale)) ops.push({ kind: 'addTag', role, name: want });
  }
  return ops;
}

function attributeOps(s: IndicatorState, enforced: boolean): WriteOp[] {
  const { entry, settings, names, at } = s;
  const name = settings.attribute;
  const had = entry?.attributes ?? {};
  const ops: WriteOp[] = [];
  const enforcing = new Set(enforced && name !== false ? s.enforcedBy : []);
  for (const [target, rec] of Object.entries(had)) {
    if (name === false || renamed(names, `attr:${rec.type}`, name)) ops.push({ kind: 'removeAttribute', target, attributeId: rec.id });
    else if (enforcing.has(target)) ops.push(...stillEnforced(target, rec, at));
    else if (settings.onRemoval === 'untag') ops.push({ kind: 'removeAttribute', target, attributeId: rec.id });
    else if (rec.removed === undefined) ops.push({ kind: 'updateAttribute', target, attributeId: rec.id, value: removedValue(target, rec.since, at), since: rec.since, removed: at });
  }
  for (const target of enforcing) {
    const rec = had[target];
    const replaced = rec !== undefined && name !== false && renamed(names, `attr:${rec.type}`, name);
    if ((rec === undefined || replaced) && name !== false) ops.push({ kind: 'addAttribute', target, name, value: enforcedValue(target, at), since: at });
  }
  return ops;
}

/** A target enforcing again what it had stopped enforcing gets a new "since" (same attribute). */
function stillEnforced(target: string, rec: WrittenAttributeRecord, at: number): WriteOp[] {
  return rec.removed === undefined ? [] : [{ kind: 'updateAttribute', target, attributeId: rec.id, value: enforcedValue(target, at), since: at }];
}

/** The operations that bring one indicator to its wanted state (none when it is there already). */
export function planIndicator(s: IndicatorState): WriteOp[] {
  const enforced = s.enforcedBy.length > 0;
  if (!enforced && s.entry === undefined) return [];
  return [...tagOps(s, enforced), ...attributeOps(s, enforced)];
}

/** What a successful operation returned: the tag id, or the attribute's id and type id. */
export type OpResult = { tagId: number } | { attributeId: number; typeId: number } | undefined;

/** The entry after `op` succeeded (a new object; undefined when nothing written remains). */
export function applyOp(entry: WriteBackEntry | undefined, range: string, op: WriteOp, result: OpResult): WriteBackEntry | undefined {
  const next: WriteBackEntry = { ...(entry ?? { attributes: {} }), range, attributes: { ...entry?.attributes } };
  switch (op.kind) {
    case 'addTag':
      if (result !== undefined && 'tagId' in result) next[op.role] = result.tagId;
      break;
    case 'removeTag':
      delete next[op.role];
      break;
    case 'addAttribute':
      if (result !== undefined && 'attributeId' in result) next.attributes[op.target] = { id: result.attributeId, type: result.typeId, since: op.since };
      break;
    case 'updateAttribute': {
      const rec = next.attributes[op.target];
      if (rec !== undefined) next.attributes[op.target] = { id: rec.id, type: rec.type, since: op.since, ...(op.removed === undefined ? {} : { removed: op.removed }) };
      break;
    }
    case 'removeAttribute':
      delete next.attributes[op.target];
      break;
    default: {
      const never: never = op;
      throw new Error(`unhandled write-back operation ${JSON.stringify(never)}`);
    }
  }
  return isEmpty(next) ? undefined : next;
}

function isEmpty(e: WriteBackEntry): boolean {
  return e.tag === undefined && e.removedTag === undefined && Object.keys(e.attributes).length === 0;
}
