/**
 * The emulator's data: types, statuses, users, OAuth clients, collections and a compact column store of
 * indicators (typed arrays + one string per value), so 100,000+ indicators cost a few MB. Sorted row
 * orders are computed on first use per sort spec and cached until the data changes; collection totals
 * likewise. Emulator-only code.
 */
import type { SeedClient, SeedCollection, SeedStatus, SeedType, SeedUser } from './emulator-seed.ts';

/** Replaced whole, never edited in place (indicator-json.ts keeps each one's JSON text by identity). */
export interface StoredType {
  readonly id: number;
  readonly name: string;
  readonly class: string;
}

/** Replaced whole, never edited in place (as StoredType). */
export interface StoredStatus {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly include_in_export: 'Y' | 'N';
}

export type SortField = 'updated_at' | 'created_at' | 'id';
export interface SortKey {
  field: SortField;
  desc: boolean;
}

/** A plain view of one indicator row. */
export interface IndicatorRecord {
  id: number;
  value: string;
  type: StoredType;
  status: StoredStatus;
  score: number | null;
  /** Epoch seconds. */
  createdAt: number;
  updatedAt: number;
}

export class IndicatorColumns {
  count = 0;
  id = new Int32Array(1024);
  type = new Uint8Array(1024);
  status = new Uint8Array(1024);
  /** -1 = no score. */
  score = new Int8Array(1024);
  created = new Uint32Array(1024);
  updated = new Uint32Array(1024);
  values: string[] = [];
  readonly rowById = new Map<number, number>();

  push(id: number, value: string, type: number, status: number, score: number | null, created: number, updated: number): void {
    if (this.rowById.has(id)) throw new Error(`duplicate indicator id ${id}`);
    if (this.count === this.id.length) this.grow();
    const r = this.count++;
    this.id[r] = id;
    this.type[r] = type;
    this.status[r] = status;
    this.score[r] = score === null ? -1 : Math.max(0, Math.min(10, Math.round(score)));
    this.created[r] = created;
    this.updated[r] = updated;
    this.values.push(value);
    this.rowById.set(id, r);
  }

  private grow(): void {
    const n = this.id.length * 2;
    const copy = <T extends Int32Array | Uint8Array | Int8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.id = copy(this.id, (k) => new Int32Array(k));
    this.type = copy(this.type, (k) => new Uint8Array(k));
    this.status = copy(this.status, (k) => new Uint8Array(k));
    this.score = copy(this.score, (k) => new Int8Array(k));
    this.created = copy(this.created, (k) => new Uint32Array(k));
    this.updated = copy(this.updated, (k) => new Uint32Array(k));
  }
}

const idSets = new WeakMap<number[], Set<number>>();
function idSet(ids: number[]): Set<number> {
  let set = idSets.get(ids);
  if (set === undefined) {
    set = new Set(ids);
    idSets.set(ids, set);
  }
  return set;
}

export class EmulatorStore {
  types: StoredType[] = [];
  statuses: StoredStatus[] = [];
  users: SeedUser[] = [];
  clients: SeedClient[] = [];
  collections = new Map<string, SeedCollection>();
  rows = new IndicatorColumns();
  private sorted = new Map<string, Int32Array>();
  private totals = new Map<string, number>();

  setTypes(types: readonly SeedType[], idFor: (index: number) => number): void {
    if (types.length > 255) throw new Error('at most 255 indicator types');
    this.types = types.map((t, i) => ({ id: t.id ?? idFor(i), name: t.name, class: t.class ?? 'network' }));
    this.changed();
  }

  setStatuses(statuses: readonly SeedStatus[], idFor: (index: number) => number): void {
    if (statuses.length > 255) throw new Error('at most 255 indicator statuses');
    this.statuses = statuses.map((s, i) => ({ id: s.id ?? idFor(i), name: s.name, description: s.description ?? '', include_in_export: s.include_in_export ?? 'N' }));
    this.changed();
  }

  typeIndex(name: string): number {
    const i = this.types.findIndex((t) => t.name === name);
    if (i < 0) throw new Error(`unknown indicator type "${name}" (known: ${this.types.map((t) => t.name).join(', ')})`);
    return i;
  }

  statusIndex(name: string): number {
    const i = this.statuses.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`unknown indicator status "${name}" (known: ${this.statuses.map((s) => s.name).join(', ')})`);
    return i;
  }

  clearIndicators(): void {
    this.rows = new IndicatorColumns();
    this.changed();
  }

  /** Drop cached orders and totals (call after any data change). */
  changed(): void {
    this.sorted.clear();
    this.totals.clear();
  }

  record(r: number): IndicatorRecord {
    const c = this.rows;
    const score = c.score[r] ?? -1;
    return {
      id: c.id[r] ?? 0,
      value: c.values[r] ?? '',
      type: this.types[c.type[r] ?? 0] ?? { id: 0, name: 'unknown', class: 'network' },
      status: this.statuses[c.status[r] ?? 0] ?? { id: 0, name: 'unknown', description: '', include_in_export: 'N' },
      score: score < 0 ? null : score,
      createdAt: c.created[r] ?? 0,
      updatedAt: c.updated[r] ?? 0,
    };
  }

  /** Does row `r` belong to collection `c`? */
  inCollection(c: SeedCollection, r: number): boolean {
    const rows = this.rows;
    const id = rows.id[r] ?? 0;
    if (c.indicatorIds !== undefined && !idSet(c.indicatorIds).has(id)) return false;
    const p = c.predicate;
    if (p === undefined) return true;
    if (p.every !== undefined && p.every > 1 && r % p.every !== 0) return false;
    if (p.types !== undefined && !p.types.includes(this.types[rows.type[r] ?? 0]?.name ?? '')) return false;
    if (p.statuses !== undefined && !p.statuses.includes(this.statuses[rows.status[r] ?? 0]?.name ?? '')) return false;
    return true;
  }

  total(collectionId: string, c: SeedCollection): number {
    let n = this.totals.get(collectionId);
    if (n === undefined) {
      n = 0;
      for (let r = 0; r < this.rows.count; r++) if (this.inCollection(c, r)) n++;
      this.totals.set(collectionId, n);
    }
    return n;
  }

  /** The sort key values of row `r`. */
  keyOf(r: number, keys: readonly SortKey[]): number[] {
    return keys.map((k) => this.fieldOf(r, k.field));
  }

  private fieldOf(r: number, field: SortField): number {
    const c = this.rows;
    return (field === 'id' ? c.id[r] : field === 'created_at' ? c.created[r] : c.updated[r]) ?? 0;
  }

  /** Compare row `r` with a (sort values, id) key in the order of `keys`, ties broken by id ascending. */
  compareRowToKey(r: number, keys: readonly SortKey[], values: readonly number[], id: number): number {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k === undefined) continue;
      const d = this.fieldOf(r, k.field) - (values[i] ?? 0);
      if (d !== 0) return k.desc ? -d : d;
    }
    return (this.rows.id[r] ?? 0) - id;
  }

  private compareRows(a: number, b: number, keys: readonly SortKey[]): number {
    for (const k of keys) {
      const d = this.fieldOf(a, k.field) - this.fieldOf(b, k.field);
      if (d !== 0) return k.desc ? -d : d;
    }
    return (this.rows.id[a] ?? 0) - (this.rows.id[b] ?? 0);
  }

  /** Row numbers in sort order (cached). */
  order(keys: readonly SortKey[]): Int32Array {
    const name = keys.map((k) => (k.desc ? '-' : '') + k.field).join(',');
    let out = this.sorted.get(name);
    if (out === undefined) {
      out = new Int32Array(this.rows.count);
      for (let i = 0; i < out.length; i++) out[i] = i;
      out.sort((a, b) => this.compareRows(a, b, keys));
      this.sorted.set(name, out);
    }
    return out;
  }

  /** Index in `order` of the first row strictly after the (values, id) key. */
  positionAfter(order: Int32Array, keys: readonly SortKey[], values: readonly number[], id: number): number {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareRowToKey(order[mid] ?? 0, keys, values, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
