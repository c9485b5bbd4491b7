/**
 * What Entra held after a target's last applied reconcile, for the dashboard's status page: the
 * policy's display name and state, each named location (shard) with its ranges, the token's tenant id
 * (which keys the tenant's 429 pause), and when it was recorded. Written by reconcileTarget under the
 * target lock once apply succeeded; one value per target, overwritten each time (bounded by the
 * target's capacity: maxLocations × maxRangesPerLocation ranges), never read by the reconcile itself.
 *
 *   <prefix>:state:status:<target>   string: JSON TargetStatus
 *
 * The page reads this instead of Graph, so opening it costs Graph nothing (Graph allows one
 * conditional access request per second per tenant, shared with the reconciles).
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import type { StateKeys } from './redis-keys.ts';

export interface TargetStatus {
  /** When the reconcile that left this state finished applying (ISO 8601). */
  recordedAt: string;
  /** Tenant id (`tid`) of the Graph token the reconcile used. */
  tenantId: string;
  /** The managed policy after the reconcile; undefined when the target has none (deleted, or never created). */
  policy: { displayName: string; state: string } | undefined;
  /** The target's named locations after the reconcile, by shard order, with their canonical ranges. */
  locations: { displayName: string; ranges: readonly string[] }[];
}

export async function writeTargetStatus(redis: RedisClient, keys: StateKeys, target: string, status: TargetStatus): Promise<void> {
  await redis.set(keys.status(target), JSON.stringify(status));
}

function isStatus(v: unknown): v is TargetStatus {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Partial<TargetStatus>;
  return typeof s.recordedAt === 'string' && typeof s.tenantId === 'string' && Array.isArray(s.locations);
}

/** The recorded status of a target; undefined before its first applied reconcile (or for an unreadable value). */
export async function readTargetStatus(redis: RedisClient, keys: StateKeys, target: string): Promise<TargetStatus | undefined> {
  const text = await redis.get(keys.status(target));
  if (text === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isStatus(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
