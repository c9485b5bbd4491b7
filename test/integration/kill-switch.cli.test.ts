/**
 * The kill switch as an on-call engineer uses it (issue #17): the real `tq-entra` binary, a real
 * Redis, the Graph emulator over HTTPS, worker processes only where the test says so.
 *
 * - workers down and the queue backed up: `disable` switches the policy to `disabled` in exactly one
 *   Graph request (a PATCH of the policy) and records who, when and why;
 * - a reconcile after that (a worker process) updates the named locations but leaves the policy
 *   disabled, and `plan` shows "disabled by kill switch (who, when, why)"; `enable` restores the
 *   configured state (through report-only and a checked reconcile: policy.users is not managed
 *   here, so the lockout guard judges the live users), after which a reconcile agrees (no policy write);
 * - no policy yet: the switch is recorded, nothing written, and the reconcile creates the policy disabled;
 * - a reconcile holding the target lock (held here through the same lock API a reconcile uses, so the
 *   timing is the test's, not the machine's): `disable` waits for it to release; one stuck past
 *   `--wait` has its lock taken over: the policy is disabled all the same and the holder's fencing
 *   check (`assertHeld`, which apply runs before every Graph write) fails.
 *
 * Timeouts are generous: each CLI process start costs seconds on a loaded CI machine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { acquireTargetLock } from '../../src/state/target-lock.ts';
import { LockLostError } from '../../src/state/errors/lock-lost-error.ts';
import { readKillSwitch } from '../../src/state/kill-switch-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { startNotifyReceiver } from '../helpers/notify-receiver.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { until } from '../helpers/until.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

interface PolicyJson {
  id: string;
  displayName: string;
  state: string;
}

const policies = (e: PipelineEnv) => e.graph.state().policies as unknown as PolicyJson[];
const policyState = (e: PipelineEnv) => policies(e).find((p) => p.displayName === 'TQ Block')?.state;
const rangesIn = (e: PipelineEnv) =>
  (e.graph.state().namedLocations as unknown as { ipRanges: { cidrAddress: string }[] }[]).flatMap((l) => l.ipRanges.map((r) => r.cidrAddress)).sort();
const graphRequests = (e: PipelineEnv) => e.graph.requests({ kind: 'graph' }).map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`);

async function enforcedTarget(): Promise<PipelineEnv> {
  const e = await startPipelineEnv({ files: [{ name: 'list', lines: ['45.10.1.7', '45.10.2.0/24'] }], target: { policy: { name: 'TQ Block', state: 'enabled' } } });
  env = e;
  const applied = await e.cli(['apply', '--target', 'corp', '--indicators', e.files['list'] as string]);
  expect(applied.code, applied.stderr).toBe(0);
  expect(policyState(e)).toBe('enabled');
  return e;
}

describe('kill switch: tq-entra disable / enable', () => {
  it('with no worker and the queue backed up, disables the policy in one Graph request; a reconcile then keeps it disabled; enable restores it', async () => {
    const e = await enforcedTarget();
    const policyId = policies(e)[0]?.id as string;
    const queued = await e.cli(['sync', '--target', 'corp']);
    expect(queued.code, queued.stderr).toBe(0);
    expect(await e.redis.client.llen(`${e.redis.prefix}:collect:wait`)).toBeGreaterThan(0);

    e.graph.clearRequests();
    const off = await e.cli(['disable', '--target', 'corp', '--reason', 'partner range 45.10.2.0/24 blocked', '--by', 'alice']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain(`policy ${policyId} is now disabled`);
    expect(graphRequests(e)).toEqual([`PATCH /v1.0/identity/conditionalAccess/policies/${policyId}`]);
    expect(policyState(e)).toBe('disabled');
    const ks = await readKillSwitch(e.redis.client, stateKeys(e.redis.prefix), 'corp');
    expect(ks).toMatchObject({ state: 'disabled', by: 'alice', reason: 'partner range 45.10.2.0/24 blocked' });
    expect(Date.now() - Date.parse(ks?.at ?? '')).toBeLessThan(60_000);
    expect(off.stdout + off.stderr).toContain('kill switch engaged');

    const shown = await e.cli(['plan', '--target', 'corp']);
    expect(shown.stdout).toContain(`disabled by kill switch (alice, ${ks?.at}, "partner range 45.10.2.0/24 blocked")`);

    // A reconcile through the queue (a worker comes back): the feed grew, the locations follow, the policy stays disabled.
    e.writeFile('list', ['45.10.1.7', '45.10.2.0/24', '45.11.3.0/24']);
    await e.startWorker();
    const synced = await e.cli(['sync', '--target', 'corp', '--wait']);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(rangesIn(e)).toEqual(['45.10.1.7/32', '45.10.2.0/24', '45.11.3.0/24']);
    expect(policyState(e)).toBe('disabled');

    e.graph.clearRequests();
    const on = await e.cli(['enable', '--target', 'corp', '--by', 'bob']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain(`policy ${policyId} is back to enabled`);
    // policy.users is not managed here, so the enable is checked (lockout guard on the live users):
    // report-only under the lock, then the reconcile enables it (nothing else to change).
    expect(graphRequests(e).filter((r) => !r.startsWith('GET'))).toEqual([`PATCH /v1.0/identity/conditionalAccess/policies/${policyId}`, `PATCH /v1.0/identity/conditionalAccess/policies/${policyId}`]);
    expect(policyState(e)).toBe('enabled');
    expect(await readKillSwitch(e.redis.client, stateKeys(e.redis.prefix), 'corp')).toBeUndefined();
    const after = await e.cli(['plan', '--target', 'corp']);
    expect(after.stdout).toContain('Policy: unchanged');
    expect(after.stdout).not.toContain('kill switch');
    const again = await e.cli(['enable', '--target', 'corp']);
    expect(again.stdout).toContain('not engaged');
  }, 240_000);

  it('before the policy exists: records the switch, writes nothing, and the reconcile creates the policy disabled', async () => {
    const e = await startPipelineEnv({ files: [{ name: 'list', lines: ['45.10.1.7'] }], target: { policy: { name: 'TQ Block', state: 'enabled' } } });
    env = e;
    const off = await e.cli(['disable', '--target', 'corp', '--reason', 'not before the review']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('no policy exists yet');
    expect(graphRequests(e).filter((r) => !r.startsWith('GET'))).toEqual([]);
    const applied = await e.cli(['apply', '--target', 'corp', '--indicators', e.files['list'] as string]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('disabled by kill switch');
    expect(policyState(e)).toBe('disabled');
    expect(rangesIn(e)).toEqual(['45.10.1.7/32']);
  }, 120_000);

  it('waits for the reconcile holding the target lock to release it, then disables', async () => {
    const e = await enforcedTarget();
    const keys = stateKeys(e.redis.prefix);
    const holder = await acquireTargetLock(e.redis.client, keys, 'corp', { ttlMs: 60_000 });
    const off = e.cli(['disable', '--target', 'corp', '--reason', 'incident 42', '--wait', '60']);
    // The disable found the lock busy (its first token) and waits for it (its second): the reconcile ends.
    await until('the disable waits for the lock', async () => Number(await e.redis.client.get(keys.fence('corp'))) > holder.token + 1, 60_000);
    expect(policyState(e)).toBe('enabled');
    await holder.release();
    const done = await off;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('waited for a running reconcile');
    expect(policyState(e)).toBe('disabled');
  }, 120_000);

  it('takes the lock over from a reconcile that holds it past --wait: the holder is fenced off', async () => {
    const e = await enforcedTarget();
    const keys = stateKeys(e.redis.prefix);
    // A reconcile stuck while holding the lock (alive: its lease would be renewed).
    const stuck = await acquireTargetLock(e.redis.client, keys, 'corp', { ttlMs: 120_000 });
    e.graph.clearRequests();
    const off = e.cli(['disable', '--target', 'corp', '--reason', 'incident 43', '--wait', '2']);
    await until('the disable waits for the lock', async () => Number(await e.redis.client.get(keys.fence('corp'))) > stuck.token, 60_000);
    const waitingSince = Date.now();
    const done = await off;
    expect(done.code, done.stderr).toBe(0);
    expect(Date.now() - waitingSince).toBeGreaterThanOrEqual(1500);
    expect(done.stdout).toContain('took the target lock over');
    expect(done.stdout + done.stderr).toContain('kill switch took the target lock over from a running reconcile');
    expect(policyState(e)).toBe('disabled');
    expect(graphRequests(e).filter((r) => !r.startsWith('GET'))).toHaveLength(1);
    // The holder's next write is refused by the fencing token (apply checks it before every Graph write).
    await expect(stuck.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    expect(await stuck.extend()).toBe(false);
    // The kill switch released the lock it took: the next reconcile can run.
    expect(await e.redis.client.exists(keys.lock('corp'))).toBe(0);
  }, 120_000);

  it('refuses a disable without a reason (exit 2, nothing recorded or written)', async () => {
    const e = await enforcedTarget();
    e.graph.clearRequests();
    const off = await e.cli(['disable', '--target', 'corp']);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain('--reason is required');
    expect(graphRequests(e)).toEqual([]);
    expect(await readKillSwitch(e.redis.client, stateKeys(e.redis.prefix), 'corp')).toBeUndefined();
    expect(policyState(e)).toBe('enabled');
  }, 120_000);

  it('queues the kill-switch notification with the workers down; a worker that comes back delivers it (engaged, then released)', async () => {
    const receiver = await startNotifyReceiver();
    try {
      const e = await startPipelineEnv({
        files: [{ name: 'list', lines: ['45.10.1.7'] }],
        // policy.users managed and no What If accounts: enable is the one PATCH (no checked reconcile).
        target: { policy: { name: 'TQ Block', state: 'enabled', users: { include: ['All'], exclude: ['e0000000-0000-4000-8000-000000000001'] } } },
        config: { notify: [{ name: 'oncall', kind: 'webhook', url: `${receiver.url}/hook/s3cr3t-token`, events: ['kill-switch'] }] },
      });
      env = e;
      expect((await e.cli(['apply', '--target', 'corp', '--indicators', e.files['list'] as string])).code).toBe(0);
      const off = await e.cli(['disable', '--target', 'corp', '--reason', 'partner blocked', '--by', 'alice']);
      expect(off.code, off.stderr).toBe(0);
      expect(await e.redis.client.llen(`${e.redis.prefix}:notify:wait`)).toBe(1);
      expect(receiver.at('/hook/s3cr3t-token')).toHaveLength(0);
      await e.startWorker();
      await until('the engaged message', () => receiver.at('/hook/s3cr3t-token').length === 1, 60_000);
      const on = await e.cli(['enable', '--target', 'corp', '--by', 'bob']);
      expect(on.code, on.stderr).toBe(0);
      await until('the released message', () => receiver.at('/hook/s3cr3t-token').length === 2, 60_000);
      const sent = receiver.at('/hook/s3cr3t-token').map((r) => r.body as { data: Record<string, unknown> });
      expect(sent.map((m) => m.data)).toEqual([
        expect.objectContaining({ target: 'corp', action: 'engaged', policyState: 'disabled', by: 'alice', reason: 'partner blocked' }),
        expect.objectContaining({ target: 'corp', action: 'released', policyState: 'enabled', by: 'bob' }),
      ]);
      expect(off.stdout + off.stderr + on.stdout + on.stderr).not.toContain('s3cr3t-token');
    } finally {
      await receiver.close();
    }
  }, 180_000);

  it('a disable whose PATCH fails still queues the engaged notification, saying the PATCH failed (the switch is recorded)', async () => {
    const e = await startPipelineEnv({
      files: [{ name: 'list', lines: ['45.10.1.7'] }],
      target: { policy: { name: 'TQ Block', state: 'enabled' } },
      config: { notify: [{ name: 'oncall', kind: 'webhook', url: 'http://127.0.0.1:9/hook', events: ['kill-switch'] }] },
    });
    env = e;
    expect((await e.cli(['apply', '--target', 'corp', '--indicators', e.files['list'] as string])).code).toBe(0);
    e.graph.addFaults([{ method: 'PATCH', path: '/policies/', status: 403, times: 5 }]);
    const off = await e.cli(['disable', '--target', 'corp', '--reason', 'partner blocked', '--by', 'alice']);
    expect(off.code).toBe(1);
    expect(policyState(e)).toBe('enabled');
    expect(await readKillSwitch(e.redis.client, stateKeys(e.redis.prefix), 'corp')).toMatchObject({ state: 'disabled', by: 'alice' });
    const queued = await e.redis.client.lrange(`${e.redis.prefix}:notify:wait`, 0, -1);
    expect(queued).toHaveLength(1);
    const job = await e.redis.client.hget(`${e.redis.prefix}:notify:${queued[0] as string}`, 'data');
    expect(job).toContain('"action":"engaged"');
    expect(job).toMatch(/partner blocked \(switch recorded, but the policy PATCH failed: ERR_[A-Z_]+; the next reconcile applies the switch\)/);
  }, 120_000);
});
