/**
 * A ThreatQ data collection as an IndicatorSource: pages the collection with ThreatQClient, normalises
 * each object (normalise-indicator.ts) and keeps those whose type name is one of the collection's
 * `types` and whose status name is one of its `statuses` (exact names, compared case-insensitively as
 * ThreatQ names are unique regardless of case). Ids are resolved to names through the instance's lookups
 * only when an object carries ids alone. Everything else is counted in `filtered` by reason:
 * `type:<name>`, `status:<name>`, `type:id=<n>` / `status:id=<n>` when an id does not resolve, and
 * `malformed:<why>` for objects without an id or value. Values are not validated here: the range
 * engine reports malformed and reserved values with its own reason codes.
 * Duplicates: cursor paging returns each indicator once unless it is updated during the scan (it then
 * moves behind the cursor and comes again); the snapshot downstream is keyed by value, so this is
 * harmless and keeps memory constant.
 * Completeness: the client re-requests a page that would end the read short of ThreatQ's `total` and
 * throws ERR_THREATQ_INCOMPLETE when the read still falls short beyond the tolerance
 * (threatq/collection-completeness.ts). The error ends this iterator after the last good page, so a
 * consumer that commits only once `pages()` has finished (the collect worker) never commits a
 * truncated collection. `seen` and `total` per page let a consumer show progress against `total`.
 */
import type { CollectionConfig, ThreatQSourceConfig } from '../config/schema.ts';
import { needsLookup, normaliseIndicator } from '../threatq/normalise-indicator.ts';
import type { ThreatQClient } from '../threatq/threatq-client.ts';
import type { ThreatQRawIndicator } from '../threatq/threatq-types.ts';
import type { IndicatorType } from '../ranges/index.ts';
import type { IndicatorSource, SourceIndicator, SourcePage } from './source-types.ts';
import { combineSignals } from './combine-signals.ts';

export interface ThreatQSourceOptions {
  signal?: AbortSignal | undefined;
}

function lowerSet(names: readonly string[]): Map<string, string> {
  return new Map(names.map((n) => [n.toLowerCase(), n]));
}

export class ThreatQSource implements IndicatorSource {
  readonly source: string;
  readonly collection: string;
  private readonly types: Map<string, string>;
  private readonly statuses: Map<string, string>;

  constructor(
    private readonly client: ThreatQClient,
    config: ThreatQSourceConfig,
    collection: CollectionConfig,
    private readonly options: ThreatQSourceOptions = {},
  ) {
    this.source = config.name;
    this.collection = collection.id;
    this.types = lowerSet(collection.types);
    this.statuses = lowerSet(collection.statuses);
  }

  async *pages(signal?: AbortSignal): AsyncGenerator<SourcePage> {
    const combined = combineSignals(signal, this.options.signal);
    for await (const raw of this.client.collectionPages(this.collection, { signal: combined })) {
      const typeIds = new Set<number>();
      const statusIds = new Set<number>();
      for (const item of raw.data) {
        if (item === null || typeof item !== 'object') continue;
        const o = item as ThreatQRawIndicator;
        const need = needsLookup(o);
        const typeId = Number(o.type_id ?? (o.type as { id?: unknown } | undefined)?.id);
        const statusId = Number(o.status_id ?? (o.status as { id?: unknown } | undefined)?.id);
        if (need.types && Number.isInteger(typeId)) typeIds.add(typeId);
        if (need.statuses && Number.isInteger(statusId)) statusIds.add(statusId);
      }
      const names = await this.client.nameMaps(
        { ...(typeIds.size > 0 ? { types: typeIds } : {}), ...(statusIds.size > 0 ? { statuses: statusIds } : {}) },
        combined,
      );
      const indicators: SourceIndicator[] = [];
      const filtered: Record<string, number> = {};
      const drop = (reason: string) => {
        filtered[reason] = (filtered[reason] ?? 0) + 1;
      };
      for (const item of raw.data) {
        const r = normaliseIndicator(item, names);
        if (!r.ok) {
          drop(r.reason);
          continue;
        }
        const ind = r.indicator;
        const typeName = ind.typeName === undefined ? undefined : this.types.get(ind.typeName.toLowerCase());
        if (typeName === undefined) {
          drop(ind.typeName === undefined ? `type:id=${ind.typeId ?? 'none'}` : `type:${ind.typeName}`);
          continue;
        }
        const statusName = ind.statusName === undefined ? undefined : this.statuses.get(ind.statusName.toLowerCase());
        if (statusName === undefined) {
          drop(ind.statusName === undefined ? `status:id=${ind.statusId ?? 'none'}` : `status:${ind.statusName}`);
          continue;
        }
        indicators.push({
          value: ind.value,
          type: typeName as IndicatorType,
          status: statusName,
          score: ind.score,
          updatedAt: ind.updatedAt,
          id: ind.id,
          source: this.source,
          collection: this.collection,
        });
      }
      yield { page: raw.page, indicators, seen: raw.data.length, filtered, total: raw.total };
    }
  }
}
