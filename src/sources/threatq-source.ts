/**
 * A ThreatQ data collection as an IndicatorSource: pages the collection with ThreatQClient, normalises
 * each object (normalise-indicator.ts) and keeps those whose type name is one of the collection's
 * `types` and whose status name is one of its `statuses` (exact names, compared case-insensitively as
 * ThreatQ names are unique regardless of case), and that pass the collection's thresholds `minScore`
 * and `maxAge` (thresholds.ts; `maxAge` counts back from `now`, the run's start). Ids are resolved to
 * names through the instance's lookups only when an object carries ids alone. Everything else is
 * counted in `filtered` by reason: `type:<name>`, `status:<name>`, `type:id=<n>` / `status:id=<n>`
 * when an id does not resolve, `malformed:<why>` for objects without an id or value, and the threshold
 * reasons `score:below-<N>`, `score:none`, `age:older-than-<D>`, `age:unknown`. Values are not
 * validated here: the range engine reports malformed and reserved values with its own reason codes.
 * ThreatQ's whitelist: with `neverBlockWhitelisted` (the default), an indicator of a `whitelistStatuses`
 * status and of an IP type (IP Address, IPv6 Address, CIDR Block, whatever the collection's `types`)
 * is neither kept nor filtered: its value goes to the page's `whitelist`. When the source names a
 * `whitelistCollection` (other than this collection), `whitelistPages()` pages it too and yields its
 * whitelist entries only (everything else there is ignored, not counted).
 * Duplicates: cursor paging returns each indicator once unless it is updated during the scan (it then
 * moves behind the cursor and comes again); the snapshot downstream is keyed by value, so this is
 * harmless and keeps memory constant.
 * Completeness: the client re-requests a page that would end the read short of ThreatQ's `total` and
 * throws ERR_THREATQ_INCOMPLETE when the read still falls short beyond the tolerance
 * (threatq/collection-completeness.ts). The error ends this iterator after the last good page, so a
 * consumer that commits only once `pages()` (and `whitelistPages()`) has finished (the collect worker)
 * never commits a truncated collection or whitelist. `seen` and `total` per page let a consumer show
 * progress against `total`.
 */
import type { CollectionConfig, ThreatQSourceConfig } from '../config/schema.ts';
import { needsLookup, normaliseIndicator, type NormalisedIndicator } from '../threatq/normalise-indicator.ts';
import type { ThreatQClient } from '../threatq/threatq-client.ts';
import type { ThreatQNameMaps, ThreatQRawIndicator } from '../threatq/threatq-types.ts';
import { INDICATOR_TYPES, type IndicatorType } from '../ranges/index.ts';
import type { IndicatorSource, SourceIndicator, SourcePage, WhitelistPage } from './source-types.ts';
import { combineSignals } from './combine-signals.ts';
import { thresholdFilter, type ThresholdFilter } from './thresholds.ts';

export interface ThreatQSourceOptions {
  signal?: AbortSignal | undefined;
  /** The run's start (epoch ms): `maxAge` counts back from it. Default: the time of construction. */
  now?: number | undefined;
}

function lowerSet(names: readonly string[]): Map<string, string> {
  return new Map(names.map((n) => [n.toLowerCase(), n]));
}

const IP_TYPES: ReadonlySet<string> = new Set(INDICATOR_TYPES.map((t) => t.toLowerCase()));

export class ThreatQSource implements IndicatorSource {
  readonly source: string;
  readonly collection: string;
  private readonly types: Map<string, string>;
  private readonly statuses: Map<string, string>;
  /** Lower-case whitelist statuses; empty when the source does not honour ThreatQ's whitelist. */
  private readonly whitelistStatuses: ReadonlySet<string>;
  private readonly whitelistCollection: string | undefined;
  private readonly threshold: ThresholdFilter | undefined;

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
    const honour = config.neverBlockWhitelisted;
    this.whitelistStatuses = new Set(honour ? config.whitelistStatuses.map((s) => s.toLowerCase()) : []);
    this.whitelistCollection = honour && config.whitelistCollection !== collection.id ? config.whitelistCollection : undefined;
    this.threshold = thresholdFilter({ minScore: collection.minScore, maxAge: collection.maxAge }, options.now ?? Date.now());
  }

  async *pages(signal?: AbortSignal): AsyncGenerator<SourcePage> {
    const combined = combineSignals(signal, this.options.signal);
    for await (const raw of this.client.collectionPages(this.collection, { signal: combined })) {
      const names = await this.namesFor(raw.data, combined);
      const indicators: SourceIndicator[] = [];
      const whitelist: string[] = [];
      const filtered: Record<string, number> = {};
      for (const item of raw.data) {
        const r = normaliseIndicator(item, names);
        const reason = r.ok ? this.classify(r.indicator, indicators, whitelist) : r.reason;
        if (reason !== undefined) filtered[reason] = (filtered[reason] ?? 0) + 1;
      }
      yield { page: raw.page, indicators, seen: raw.data.length, filtered, whitelist, total: raw.total };
    }
  }

  /** The whitelist entries of the source's `whitelistCollection`; nothing when it has none. */
  async *whitelistPages(signal?: AbortSignal): AsyncGenerator<WhitelistPage> {
    const collection = this.whitelistCollection;
    if (collection === undefined) return;
    const combined = combineSignals(signal, this.options.signal);
    for await (const raw of this.client.collectionPages(collection, { signal: combined })) {
      const names = await this.namesFor(raw.data, combined);
      const values: string[] = [];
      for (const item of raw.data) {
        const r = normaliseIndicator(item, names);
        if (r.ok && this.isWhitelistEntry(r.indicator)) values.push(r.indicator.value);
      }
      yield { collection, page: raw.page, seen: raw.data.length, values };
    }
  }

  /** Keep `ind`, add it to the whitelist, or answer the reason it is filtered out. */
  private classify(ind: NormalisedIndicator, kept: SourceIndicator[], whitelist: string[]): string | undefined {
    if (this.isWhitelistEntry(ind)) {
      whitelist.push(ind.value);
      return undefined;
    }
    const typeName = ind.typeName === undefined ? undefined : this.types.get(ind.typeName.toLowerCase());
    if (typeName === undefined) return ind.typeName === undefined ? `type:id=${ind.typeId ?? 'none'}` : `type:${ind.typeName}`;
    const statusName = ind.statusName === undefined ? undefined : this.statuses.get(ind.statusName.toLowerCase());
    if (statusName === undefined) return ind.statusName === undefined ? `status:id=${ind.statusId ?? 'none'}` : `status:${ind.statusName}`;
    const below = this.threshold?.(ind);
    if (below !== undefined) return below;
    kept.push({
      value: ind.value,
      type: typeName as IndicatorType,
      status: statusName,
      score: ind.score,
      updatedAt: ind.updatedAt,
      createdAt: ind.createdAt,
      id: ind.id,
      source: this.source,
      collection: this.collection,
    });
    return undefined;
  }

  private isWhitelistEntry(ind: NormalisedIndicator): boolean {
    if (this.whitelistStatuses.size === 0 || ind.statusName === undefined || ind.typeName === undefined) return false;
    return this.whitelistStatuses.has(ind.statusName.toLowerCase()) && IP_TYPES.has(ind.typeName.toLowerCase());
  }

  /** The instance's id → name maps, fetched only for the ids of objects that carry ids alone. */
  private async namesFor(data: readonly unknown[], signal: AbortSignal | undefined): Promise<ThreatQNameMaps> {
    const typeIds = new Set<number>();
    const statusIds = new Set<number>();
    for (const item of data) {
      if (item === null || typeof item !== 'object') continue;
      const o = item as ThreatQRawIndicator;
      const need = needsLookup(o);
      const typeId = Number(o.type_id ?? (o.type as { id?: unknown } | undefined)?.id);
      const statusId = Number(o.status_id ?? (o.status as { id?: unknown } | undefined)?.id);
      if (need.types && Number.isInteger(typeId)) typeIds.add(typeId);
      if (need.statuses && Number.isInteger(statusId)) statusIds.add(statusId);
    }
    return this.client.nameMaps({ ...(typeIds.size > 0 ? { types: typeIds } : {}), ...(statusIds.size > 0 ? { statuses: statusIds } : {}) }, signal);
  }
}
