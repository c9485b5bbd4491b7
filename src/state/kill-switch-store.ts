/**
 * The kill switch of a target: the operator's decision that the target's blocking policy stays
 * `disabled` (or report-only) whatever the configuration says, with who, when and why. One JSON value
 * per target (`<prefix>:state:killswitch:<target>`, redis-keys.ts).
 *
 * - `recordKillSwitch` is the operator's intent and is written before the target lock is taken (not
 *   fenced): every reconcile that takes the lock afterwards reads it and keeps the policy in that state,
 *   even if the PATCH that follows fails.
 * - `clearKillSwitch` runs under the target lock (fenced by its token), just before the PATCH that
 *   restores the configured state, so no reconcile can read a half-released switch.
 * - `readKillSwitch` is the one reader (reconcile plan, CLI, dashboard, status pages). A value that
 *   cannot be read as a kill switch counts as engaged (`disabled`): the safe reading of a damaged
 *   record is "do not enforce", and the operator sees it in `plan` and can `enable`.
 * - The policy id hint (`<prefix>:state:policyid:<target>`): the id of the target's policy as the last
 *   reconcile that wrote left it (`rememberPolicyId`, none when it deleted it), so the kill switch
 *   PATCHes it in one request without listing the tenant's policies first. Only a hint: a 404 sends the
 *   kill switch back to the listing.
 */
import type { RedisClient } from '../redis/redis-connection.ts';
import { LockLostError } from './errors/lock-lost-error.ts';
import type { StateKeys } from './redis-keys.ts';
import type { TargetLock } from './target-lock.ts';

/** The policy states a kill switch can hold a policy in. */
export const KILL_SWITCH_STATES = ['disabled', 'enabledForReportingButNotEnforced'] as const;
export type KillSwitchState = (typeof KILL_SWITCH_STATES)[number];

export interface KillSwitch {
  state: KillSwitchState;
  /** Who engaged it: the OS user of the CLI, `--by`, or `<user> (dashboard)`. */
  by: string;
  /** When (ISO 8601). */
  at: string;
  reason: string;
}

const CLEAR = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[2])
return 1`;

function isKillSwitchState(v: unknown): v is KillSwitchState {
  return typeof v === 'string' && (KILL_SWITCH_STATES as readonly string[]).includes(v);
}

function decode(text: string): KillSwitch {
  try {
    const v = JSON.parse(text) as Partial<KillSwitch>;
    if (isKillSwitchState(v.state) && typeof v.by === 'string' && typeof v.at === 'string' && typeof v.reason === 'string') {
      return { state: v.state, by: v.by, at: v.at, reason: v.reason };
    }
  } catch {
    // fall through: a damaged record counts as engaged
  }
  return { state: 'disabled', by: 'unknown', at: '', reason: 'the kill switch record could not be read; run `tq-entra enable` to clear it' };
}

/** The target's kill switch, or undefined when it is not engaged. */
export async function readKillSwitch(redis: RedisClient, keys: StateKeys, target: string): Promise<KillSwitch | undefined> {
  const text = await redis.get(keys.killSwitch(target));
  return text === null ? undefined : decode(text);
}

/** Engage (or re-engage) the switch: the operator's intent, written before the lock is taken. */
export async function recordKillSwitch(redis: RedisClient, keys: StateKeys, target: string, ks: KillSwitch): Promise<void> {
  await redis.set(keys.killSwitch(target), JSON.stringify(ks));
}

/** Release the switch, only while `lock` still holds the target (LockLostError otherwise). */
export async function clearKillSwitch(redis: RedisClient, keys: StateKeys, lock: TargetLock): Promise<void> {
  const r = await redis.eval(CLEAR, 2, keys.lock(lock.target), keys.killSwitch(lock.target), String(lock.token));
  if (r === -1) throw new LockLostError(lock.target, lock.token);
}

/** The id of the target's policy as the last applied reconcile left it (undefined: none known). */
export async function readPolicyIdHint(redis: RedisClient, keys: StateKeys, target: string): Promise<string | undefined> {
  return (await redis.get(keys.policyId(target))) ?? undefined;
}

/** Remember (or forget, with undefined) the target's policy id after an applied reconcile or a kill switch lookup. */
export async function rememberPolicyId(redis: RedisClient, keys: StateKeys, target: string, id: string | undefined): Promise<void> {
  if (id === undefined) await redis.del(keys.policyId(target));
  else await redis.set(keys.policyId(target), id);
}
