/**
 * Provenance of a snapshot: for each range of a source collection's committed snapshot, up to
 * PROVENANCE_PER_RANGE of the indicators that made it (highest score first, then most recently
 * updated) with their value, score, ThreatQ created_at (first seen) and updated_at (last seen), and
 * how many indicators it had in all. `tq-entra why` reads it; snapshots keep only ranges and weights.
 *
 * Staged by each ingest chunk (one line per accepted indicator range, PROVENANCE_STAGE format, with a
 * TTL like the chunk's ranges) and committed by the collect run in the snapshot's own MULTI
 * (snapshot-store.ts commitSnapshot), so it always describes the committed snapshot:
 *
 *   <prefix>:state:provstage:<runId>:<chunk>   staged: `<cidr>\t<value>\t<score>\t<created s>\t<updated s>` lines
 *   <prefix>:state:prov:<source>:<collection>  committed: `<range>\t<total>\t<v>|<s>|<c>|<u>\t…` lines
 *
 * A value equal to its range's address (an IP indicator) is written `=`; scores and times that are
 * unknown (file sources) are empty. Cost, measured by test/unit/state.provenance.test.ts: about 30
 * bytes per single-address indicator (1,000,000 indicators: ~30 MB per collection, about the size of
 * the snapshot itself).
 */
import type { Redis } from 'ioredis';
import { cidrsOverlap, enclosingCidrLookup, normalizeCidr, parseCidr } from '../ranges/index.ts';
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
  return Number.isFinite(ms) ? String(Math.floor(ms / 1000)) : '';
}

function iso(sec: string | undefined): string | null {
  return sec ? new Date(Number(sec) * 1000).toISOString() : null;
}

function addressOf(cidr: string): string {
  return /\/(32|128)$/.test(cidr) ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

/** One staged line: the indicator's (canonical) range and what to keep of it. */
export function provenanceLine(cidr: string, value: string, score: number | null, createdAt: string | null, updatedAt: string | null): string {
  const v = value.trim();
  const shown = v === cidr || v === addressOf(cidr) ? '=' : v.replace(/[\t|\n]/g, ' ');
  return `${cidr}\t${shown}\t${score ?? ''}\t${seconds(createdAt)}\t${seconds(updatedAt)}`;
}

export async function stageProvenance(redis: Redis, keys: StateKeys, runId: string, chunk: number, lines: readonly string[], ttlSeconds: number): Promise<void> {
  await redis.set(keys.provenanceStage(runId, chunk), lines.join('\n'), 'EX', ttlSeconds);
}

/** The staged provenance of a run, chunk by chunk (a missing chunk yields nothing: provenance is advisory). */
export async function readStagedProvenance(redis: Redis, keys: StateKeys, runId: string, chunks: number): Promise<string[]> {
  const out: string[] = [];
  for (let first = 0; first < chunks; first += 32) {
    const batch: string[] = [];
    for (let i = first; i < Math.min(chunks, first + 32); i += 1) batch.push(keys.provenanceStage(runId, i));
    for (const t of await redis.mget(...batch)) if (t) out.push(t);
  }
  return out;
}

type Kept = { line: string; score: number; updated: number };

function better(a: Kept, b: Kept): boolean {
  return a.score !== b.score ? a.score > b.score : a.updated > b.updated;
}

/** The committed provenance text of a snapshot whose ranges are `ranges`, from its staged chunk texts. */
export function buildProvenance(ranges: readonly string[], staged: readonly string[]): string {
  const lookup = enclosingCidrLookup(ranges);
  const byRange = new Map<string, { total: number; kept: Kept[] }>();
  for (const text of staged) {
    for (const line of text.split('\n')) {
      const tab = line.indexOf('\t');
      const range = tab > 0 ? lookup.narrowest(line.slice(0, tab)) : undefined;
      if (range === undefined) continue;
      const [, value, score, created, updated] = line.split('\t');
      const k: Kept = { line: `${value === '=' && line.slice(0, tab) !== range ? addressOf(line.slice(0, tab)) : value}|${score}|${created}|${updated}`, score: Number(score || -1), updated: Number(updated || 0) };
      const slot = byRange.get(range) ?? { total: 0, kept: [] };
      slot.total += 1;
      let at = slot.kept.length;
      while (at > 0 && better(k, slot.kept[at - 1] as Kept)) at -= 1;
      if (at < PROVENANCE_PER_RANGE) slot.kept.splice(at, 0, k);
      if (slot.kept.length > PROVENANCE_PER_RANGE) slot.kept.pop();
      byRange.set(range, slot);
    }
  }
  const out: string[] = [];
  for (const r of ranges) {
    const slot = byRange.get(r);
    if (slot) out.push(`${r}\t${slot.total}\t${slot.kept.map((k) => k.line).join('\t')}`);
  }
  return out.join('\n');
}

function decodeLine(line: string): RangeProvenance {
  const [cidr = '', total = '0', ...kept] = line.split('\t');
  const indicators = kept.map((k) => {
    const [value = '', score = '', created, updated] = k.split('|');
    return { value: value === '=' ? addressOf(cidr) : value, score: score === '' ? null : Number(score), firstSeen: iso(created), lastSeen: iso(updated) };
  });
  return { cidr, total: Number(total), indicators };
}

/** The provenance of the committed snapshot's ranges that overlap `query` (a CIDR or an address). */
export async function readProvenance(redis: Redis, keys: StateKeys, source: string, collection: string, query: string): Promise<RangeProvenance[]> {
  const q = parseCidr(normalizeCidr(query) ?? query);
  const text = await redis.get(keys.provenance(source, collection));
  if (!q || !text) return [];
  const out: RangeProvenance[] = [];
  for (const line of text.split('\n')) {
    const p = parseCidr(line.slice(0, line.indexOf('\t')));
    if (p && cidrsOverlap(p, q)) out.push(decodeLine(line));
  }
  return out;
}
