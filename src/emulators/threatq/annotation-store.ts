/**
 * The emulator's tags and attributes of indicators, and the log of every write-back request that
 * reached them (for tests: "a re-run writes nothing" counts this log). Emulator-only code.
 *
 * Tags are instance-wide objects: one id per name (compared without case, as ThreatQ's tag names are
 * unique regardless of case, EMULATOR: [I]); attaching a tag an indicator already has changes nothing
 * and answers that tag again. Attributes belong to one indicator: `id` is the attribute's own id,
 * `attribute_id` the id of its name (its attribute type), shared by every indicator. Posting a name
 * and value the indicator already has adds a second, identical attribute (EMULATOR: [I], the stricter
 * reading: whether ThreatQ merges identical attributes is not documented, so a client must not rely
 * on it). Ids derive from the instance's
 * `idOffset`, so two emulated instances never share them.
 */
import { formatTime } from './cursor-mark.ts';

export interface EmulatedTag {
  id: number;
  name: string;
}

export interface EmulatedAttribute {
  id: number;
  attribute_id: number;
  indicator_id: number;
  name: string;
  value: string;
  created_at: string;
  updated_at: string;
  touched_at: string;
}

/** What one write request did: `added`, `removed`, `updated`, or `none` (already so, or refused). */
export type WriteChange = 'added' | 'removed' | 'updated' | 'none';

export interface WriteLogEntry {
  at: string;
  method: string;
  path: string;
  indicatorId: number;
  /** `tag` or `attribute`. */
  kind: 'tag' | 'attribute';
  status: number;
  change: WriteChange;
  /** The tag or attribute name, and the attribute value, when known. */
  name?: string;
  value?: string;
}

function now(): string {
  return formatTime(Math.floor(Date.now() / 1000));
}

export class AnnotationStore {
  private readonly tags = new Map<string, EmulatedTag>();
  private readonly attributeTypes = new Map<string, number>();
  private readonly tagsOf = new Map<number, Set<number>>();
  private readonly attributesOf = new Map<number, EmulatedAttribute[]>();
  private nextTag: number;
  private nextAttributeType: number;
  private nextAttribute: number;
  readonly writes: WriteLogEntry[] = [];

  constructor(private readonly idOffset: number) {
    this.nextTag = idOffset * 100 + 1;
    this.nextAttributeType = idOffset * 10 + 1;
    this.nextAttribute = idOffset * 1_000_000 + 1;
  }

  /** Attach tag `name` to an indicator; returns the tag and whether it was new on the indicator. */
  attachTag(indicatorId: number, name: string): { tag: EmulatedTag; added: boolean } {
    let tag = this.tags.get(name.toLowerCase());
    if (tag === undefined) {
      tag = { id: this.nextTag++, name };
      this.tags.set(name.toLowerCase(), tag);
    }
    const set = this.tagsOf.get(indicatorId) ?? new Set<number>();
    this.tagsOf.set(indicatorId, set);
    const added = !set.has(tag.id);
    set.add(tag.id);
    return { tag, added };
  }

  /** Detach a tag; false when the indicator does not have it. */
  detachTag(indicatorId: number, tagId: number): boolean {
    const set = this.tagsOf.get(indicatorId);
    if (set === undefined || !set.delete(tagId)) return false;
    if (set.size === 0) this.tagsOf.delete(indicatorId);
    return true;
  }

  /** Add an attribute, an identical one again too (see the header); `added` is always true. */
  addAttribute(indicatorId: number, name: string, value: string): { attribute: EmulatedAttribute; added: boolean } {
    const list = this.attributesOf.get(indicatorId) ?? [];
    this.attributesOf.set(indicatorId, list);
    let type = this.attributeTypes.get(name);
    if (type === undefined) {
      type = this.nextAttributeType++;
      this.attributeTypes.set(name, type);
    }
    const t = now();
    const attribute: EmulatedAttribute = { id: this.nextAttribute++, attribute_id: type, indicator_id: indicatorId, name, value, created_at: t, updated_at: t, touched_at: t };
    list.push(attribute);
    return { attribute, added: true };
  }

  /** The attribute `attributeId` of an indicator, or undefined. */
  attribute(indicatorId: number, attributeId: number): EmulatedAttribute | undefined {
    return this.attributesOf.get(indicatorId)?.find((a) => a.id === attributeId);
  }

  removeAttribute(indicatorId: number, attributeId: number): boolean {
    const list = this.attributesOf.get(indicatorId);
    const i = list?.findIndex((a) => a.id === attributeId) ?? -1;
    if (list === undefined || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.attributesOf.delete(indicatorId);
    return true;
  }

  /** The tags of an indicator, by id. */
  tagsOfIndicator(indicatorId: number): EmulatedTag[] {
    const ids = this.tagsOf.get(indicatorId) ?? new Set<number>();
    return [...this.tags.values()].filter((t) => ids.has(t.id)).sort((a, b) => a.id - b.id);
  }

  attributesOfIndicator(indicatorId: number): EmulatedAttribute[] {
    return [...(this.attributesOf.get(indicatorId) ?? [])];
  }

  /** Ids of every indicator with a tag or an attribute, ascending. */
  annotated(): number[] {
    return [...new Set([...this.tagsOf.keys(), ...this.attributesOf.keys()])].sort((a, b) => a - b);
  }

  clear(): void {
    this.tags.clear();
    this.attributeTypes.clear();
    this.tagsOf.clear();
    this.attributesOf.clear();
    this.writes.length = 0;
  }
}
