/**
 * Per-tenant object store of the Graph emulator with eventual consistency.
 *
 * Every object keeps a list of versions, each visible from a time on. A write appends a version that
 * becomes visible `replicationDelayMs` later (a delete appends a tombstone), so until then reads see
 * the previous state: a new object is 404, a changed one shows its old content, a deleted one is still
 * there. Writes and limit checks work on the authoritative (latest) state. Seeded objects are visible
 * at once.
 */
export type Json = Record<string, unknown>;
export type Kind = 'namedLocations' | 'policies';

interface Version {
  visibleAt: number;
  value: Json | null;
}

export class TenantStore {
  private readonly objects: Record<Kind, Map<string, Version[]>> = { namedLocations: new Map(), policies: new Map() };

  /** The authoritative state of an object (latest write), undefined when absent or deleted. */
  current(kind: Kind, id: string): Json | undefined {
    const versions = this.objects[kind].get(id);
    return versions?.[versions.length - 1]?.value ?? undefined;
  }

  /** What a read sees at `now`: the latest version already visible. */
  visible(kind: Kind, id: string, now: number): Json | undefined {
    const versions = this.objects[kind].get(id) ?? [];
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i];
      if (v && v.visibleAt <= now) return v.value ?? undefined;
    }
    return undefined;
  }

  listCurrent(kind: Kind): Json[] {
    return [...this.objects[kind].keys()].map((id) => this.current(kind, id)).filter((v): v is Json => v !== undefined);
  }

  listVisible(kind: Kind, now: number): Json[] {
    return [...this.objects[kind].keys()].map((id) => this.visible(kind, id, now)).filter((v): v is Json => v !== undefined);
  }

  put(kind: Kind, id: string, value: Json, visibleAt: number): void {
    const versions = this.objects[kind].get(id) ?? [];
    versions.push({ visibleAt, value: structuredClone(value) });
    this.objects[kind].set(id, versions);
  }

  remove(kind: Kind, id: string, visibleAt: number): void {
    const versions = this.objects[kind].get(id);
    if (versions) versions.push({ visibleAt, value: null });
  }
}
