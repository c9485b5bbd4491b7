/**
 * What a write-back run reads of Entra: for each enforcing target any of a ThreatQ source's
 * collections feeds (run-writeback.ts enforcingTargetsOf: policy.state `enabled`), the ranges this
 * service wrote into the target's named locations and still holds (state/owned-ranges-store.ts, read
 * with SSCAN in batches, never as one set of strings) as a CoverIndex, and an order-independent digest
 * of them (the write-back skips a pass whose inputs are unchanged). An indicator is enforced by a
 * target when the target's index covers its range; by the source while any target does.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../../redis/redis-connection.ts';
import { CoverIndex } from '../../../ranges/index.ts';
import type { StateKeys } from '../../../state/redis-keys.ts';

const SCAN_COUNT = 2000;

export interface EnforcedRanges {
  /** Target → its owned ranges. */
  byTarget: ReadonlyMap<string, CoverIndex>;
  /** Digest of every target's owned set (order-independent). */
  digest: string;
  /** Owned ranges read, all targets together. */
  ranges: number;
}

/** FNV-1a, 32 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

async function readTarget(redis: RedisClient, keys: StateKeys, target: string): Promise<{ index: CoverIndex; count: number; sum: number; xor: number }> {
  const index = new CoverIndex();
  let count = 0;
  let sum = 0;
  let xor = 0;
  let cursor = '0';
  do {
    const [next, members] = await redis.sscan(keys.owned(target), cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (const m of members) {
      index.add(m);
      const h = fnv1a(m);
      sum = (sum + h) % 2 ** 48;
      xor = (xor ^ h) >>> 0;
      count++;
    }
  } while (cursor !== '0');
  return { index, count, sum, xor };
}

/**
 * The enforced ranges of `targets`. SSCAN may return a member twice while the set changes; the index
 * does not mind, and a digest made then only costs a pass that could have been skipped.
 */
export async function readEnforcedRanges(redis: RedisClient, keys: StateKeys, targets: readonly string[]): Promise<EnforcedRanges> {
  const byTarget = new Map<string, CoverIndex>();
  const hash = createHash('sha256');
  let ranges = 0;
  for (const target of [...targets].sort()) {
    const r = await readTarget(redis, keys, target);
    byTarget.set(target, r.index);
    ranges += r.count;
    hash.update(JSON.stringify([target, r.count, r.sum, r.xor]));
  }
  return { byTarget, digest: hash.digest('hex'), ranges };
}

/** The targets whose owned ranges cover `range` (a canonical CIDR). */
export function enforcingTargets(enforced: EnforcedRanges, range: string | undefined): string[] {
  if (range === undefined) return [];
  const out: string[] = [];
  for (const [target, index] of enforced.byTarget) if (index.covers(range)) out.push(target);
  return out;
}
