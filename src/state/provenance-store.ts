/**
 * Provenance of a snapshot: for each indicator a source collection's committed snapshot was made from,
 * its range, value, score, ThreatQ created_at (first seen) and updated_at (last seen). `tq-entra why`
 * reads it (snapshots keep only merged ranges and weights); it shows, per snapshot range overlapping
 * the address asked, the PROVENANCE_PER_RANGE highest-scored (then most recently updated) indicators
 * and how many there were in all.
 *
 * Staged by each ingest chunk (one line per accepted indicator range, with the chunk's TTL) and
 * committed by the collect run in the snapshot's own MULTI (snapshot-store.ts commitSnapshot) as the
 * staged texts joined, by Redis (a script APPENDs the staged chunks: the worker never reads them), so
 * it always describes the committed snapshot:
 *
 *   <prefix>:state:provstage:<runId>:<chunk>   staged lines
 *   <prefix>:state:prov:<source>:<collection>  committed: the same lines, every chunk
 *   line: `<range>\t<value>\t<score>\t<created>\t<updated>`, range without `/32` or `/128`, value `=`
 *         when it is the range itself, times in epoch seconds base 36, unknowns (file sources) empty.
 *
 * Cost (test/integration/state.history-store.test.ts measures it): about 35 bytes of Redis per
 * single-address indicator, i.e. ~35 MB per 1,000,000 indicators per collection, about the size of the
 * snapshot itself; one line per accepted indicator, so bounded by the collection's size.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { cidrsOverlap, normalizeCidr, parseCidr, type ParsedCidr } from '../ranges/index.ts';
import type { StateKeys } from './redis-keys.ts';

export const PROVENANCE_PER_RANGE = 5;

/** One indicator behind a range. */
export interface IndicatorProvenance {
  value: string;
  score: number | null;
  /** ISO 8601, or null when the source did not say. */
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface RangeProvenance {
  cidr: string;
  /** Indicators that made the range in all (only the first PROVENANCE_PER_RANGE are kept). */
  total: number;
  indicators: IndicatorProvenance[];
}

function seconds(iso: string | null): string {
  if (iso === null) return '';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000).toString(36) : '';
}

function isoOf(text: string | undefined): string | null {
  return text ? new Date(parseInt(text, 36) * 1000).toISOString() : null;
}

/** `a.b.c.d/32` → `a.b.c.d` (and /128 likewise); other ranges as they are. */
function short(cidr: string): string {
  return cidr.endsWith('/32') || cidr.endsWith('/128') ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

/** One staged line: the indicator's (canonical) range and what to keep of it. */
export function provenanceLine(cidr: string, value: string, score: number | null, createdAt: string | null, updatedAt: string | null): string {
  const range = short(cidr);
  const v = value.trim();
  const shown = v === cidr || v === range ? '=' : v.replace(/[\t\n]/g, ' ');
  return `${range}\t${shown}\t${score ?? ''}\t${seconds(createdAt)}\t${seconds(updatedAt)}`;
}

export async function stageProvenance(redis: RedisClient, keys: StateKeys, runId: string, chunk: number, lines: readonly string[], ttlSeconds: number): Promise<void> {
  await redis.set(keys.provenanceStage(runId, chunk), lines.join('\n'), 'EX', ttlSeconds);
}

// KEYS[1]: the committed provenance, KEYS[2..]: the staged chunks in chunk order. Replaces the
// committed text with the non-empty staged texts joined by newlines, server-side (APPEND), and drops
// the staged keys: the worker never holds the provenance of a run (~35 MB per 1,000,000 indicators).
const COMMIT_STAGED = `
redis.call('SET', KEYS[1], '')
local first = true
for i = 2, #KEYS do
  local t = redis.call('GET', KEYS[i])
  if t and t ~= '' then
    if not first then redis.call('APPEND', KEYS[1], '\\n') end
    redis.call('APPEND', KEYS[1], t)
    first = false
  end
  redis.call('DEL', KEYS[i])
end
return 1`;

/** A MULTI (or pipeline) the provenance commit is queued on. */
interface Queueable {
  eval(script: string, numKeys: number, ...args: string[]): unknown;
}

/**
 * Queue on `tx` the commit of a run's staged provenance (`chunks` chunks staged under `runId`) as the
 * collection's provenance: the staged texts joined, copied by Redis (a missing chunk adds nothing:
 * provenance is advisory); the staged keys are deleted.
 */
export function queueProvenanceCommit(tx: Queueable, keys: StateKeys, source: string, collection: string, runId: string, chunks: number): void {
  const staged: string[] = [];
  for (let i = 0; i < chunks; i += 1) staged.push(keys.provenanceStage(runId, i));
  tx.eval(COMMIT_STAGED, 1 + staged.length, keys.provenance(source, collection), ...staged);
}

function decodeLine(line: string): { range: string; ind: IndicatorProvenance } {
  const [range = '', value = '', score = '', created, updated] = line.split('\t');
  return { range, ind: { value: value === '=' ? range : value, score: score === '' ? null : Number(score), firstSeen: isoOf(created), lastSeen: isoOf(updated) } };
}

function rank(a: IndicatorProvenance, b: IndicatorProvenance): number {
  return (b.score ?? -1) - (a.score ?? -1) || (b.lastSeen ?? '').localeCompare(a.lastSeen ?? '');
}

function parsed(text: string): ParsedCidr | undefined {
  return parseCidr(normalizeCidr(text) ?? text);
}

/**
 * For each range of the committed snapshot `ranges` that overlaps `query` (a CIDR or an address): the
 * indicators behind it, best first, at most PROVENANCE_PER_RANGE, and their number.
 */
export async function readProvenance(redis: RedisClient, keys: StateKeys, source: string, collection: string, ranges: readonly string[], query: string): Promise<RangeProvenance[]> {
  const q = parsed(query);
  if (!q) return [];
  const hits = ranges.flatMap((cidr) => {
    const p = parseCidr(cidr);
    return p && cidrsOverlap(p, q) ? [{ cidr, p, all: [] as IndicatorProvenance[] }] : [];
  });
  const text = hits.length === 0 ? null : await redis.get(keys.provenance(source, collection));
  for (const line of text ? text.split('\n') : []) {
    const p = parsed(line.slice(0, line.indexOf('\t')));
    const hit = p ? hits.find((h) => cidrsOverlap(h.p, p)) : undefined;
    if (hit) hit.all.push(decodeLine(line).ind);
  }
  return hits.map((h) => ({ cidr: h.cidr, total: h.all.length, indicators: h.all.sort(rank).slice(0, PROVENANCE_PER_RANGE) }));
}
