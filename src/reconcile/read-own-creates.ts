/**
 * Read what Entra holds, including what this target itself created moments ago (invariant 6, 9).
 *
 * Graph lists a new object only once its creation has replicated. A reconcile that starts right after
 * the one that created a location (back-to-back syncs, a retried job) would otherwise plan it as
 * missing and POST a second one: names are not unique. The target's object-owner record
 * (owned-ranges-store.ts `claimObjects`) names every location and policy it created and has not
 * deleted; an id recorded there but absent from the listing is either not replicated yet or was
 * deleted by someone else. So the listing is read again, every `intervalMs`, until every such id
 * appears or `boundMs` passes (default 30 s; Microsoft's replication takes seconds). Ids still absent
 * then are taken as deleted outside the service and released (when the caller holds the lock), so the
 * wait happens once. With nothing missing, this costs nothing beyond the one listing. The owner record
 * read here is returned too (less what was released), so the caller does not read it again.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { GraphClient } from '../graph/graph-types.ts';
import type { Logger } from 'winston';
import { readObjectOwners, releaseObjects } from '../state/owned-ranges-store.ts';
import type { StateKeys } from '../state/redis-keys.ts';
import type { TargetLock } from '../state/target-lock.ts';
import type { LiveState } from './plan-types.ts';
import { readLiveState } from './read-live-state.ts';

export interface OwnCreatesOptions {
  redis: RedisClient;
  keys: StateKeys;
  target: string;
  tenantId: string;
  lock: TargetLock | undefined;
  logger: Logger;
  boundMs?: number;
  intervalMs?: number;
}

function missingOwn(live: LiveState, owners: Map<string, string>, target: string): string[] {
  const listed = new Set([...live.locations.map((l) => l.id.toLowerCase()), ...live.policies.map((p) => p.id.toLowerCase())]);
  return [...owners].filter(([id, owner]) => owner === target && !listed.has(id.toLowerCase())).map(([id]) => id);
}

export async function readLiveIncludingOwnCreates(graph: GraphClient, o: OwnCreatesOptions): Promise<{ live: LiveState; owners: Map<string, string> }> {
  let live = await readLiveState(graph);
  const owners = await readObjectOwners(o.redis, o.keys, o.tenantId);
  let missing = missingOwn(live, owners, o.target);
  if (missing.length === 0) return { live, owners };
  const started = Date.now();
  const deadline = started + (o.boundMs ?? 30_000);
  o.logger.info('objects this target created are not listed yet; reading again until they replicate', { target: o.target, ids: missing });
  while (missing.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 2000));
    live = await readLiveState(graph);
    missing = missingOwn(live, owners, o.target);
  }
  if (missing.length > 0) {
    o.logger.warn('objects this target created are still not listed: taken as deleted outside the service', { target: o.target, ids: missing, waitedMs: Date.now() - started });
    if (o.lock) {
      await releaseObjects(o.redis, o.keys, o.lock, o.tenantId, missing);
      for (const id of missing) owners.delete(id);
    }
  }
  return { live, owners };
}
