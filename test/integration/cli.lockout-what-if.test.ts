/**
 * The lockout guard and What If as an operator meets them: the real `tq-entra` binary (separate
 * processes) against the Graph emulator over HTTPS and a real Redis.
 * - `config check` refuses a target that enables its policy for All users with no exclusion (exit 2,
 *   naming the target and what to set); `safety.allowNoExclusions: true` lifts it.
 * - `plan` warns when the run moves the policy from report-only to enabled.
 * - `apply` refuses the enable when What If says the policy would block an emergency account (exit 1,
 *   ERR_SAFETY_WHATIF with the evaluation), leaving the policy report-only; excluding the account
 *   lets the next `apply` enable it.
 * - `enable` (kill switch release) goes through the same checks: with an emergency account not
 *   excluded it is refused (exit 1, the evaluation shown), the switch released, the policy report-only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readKillSwitch } from '../../src/state/kill-switch-store.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';
import { policiesIn, TARGET, targetDoc } from '../fixtures/reconcile/emulator-target.ts';
import { useGraphEmulator } from '../helpers/graph-emulator-suite.ts';
import { runCli } from '../helpers/run-cli.ts';

const suite = useGraphEmulator('cli-lockout-what-if', { unpacedEachTest: true });
const dir = mkdtempSync(join(tmpdir(), 'tqe-cli-lockout-'));
const ENV = { LOG_LEVEL: 'warn' };
const EMERGENCY = 'e0000000-0000-4000-8000-000000000001';
const OTHER = 'a0000000-0000-4000-8000-000000000003';

function writeConfig(over: Record<string, unknown>): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(path, stringify({ redis: { url: suite.r.url, prefix: `${suite.r.prefix}:${Math.random().toString(36).slice(2, 8)}` }, targets: [targetDoc(suite.emu, over)] }));
  return path;
}

function indicators(lines: string[]): string {
  const path = join(dir, `ind-${Math.random().toString(36).slice(2, 8)}.txt`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('tq-entra: lockout guard', () => {
  it('config check refuses All users with no exclusion on an enabled policy; allowNoExclusions: true accepts it', async () => {
    const policy = { state: 'enabled', users: { include: ['All'], exclude: ['GuestsOrExternalUsers'] } };
    const refused = await runCli(['config', 'check', '--config', writeConfig({ policy })], { env: ENV });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ERR_CONFIG_INVALID/);
    expect(refused.stderr).toMatch(/targets\[0\]\.policy\.users\.exclude: lockout guard: target "emulated" enables its policy for All users with no user or group excluded/);
    expect(refused.stderr).toMatch(/set safety\.allowNoExclusions: true/);
    const allowed = await runCli(['config', 'check', '--config', writeConfig({ policy, safety: { allowNoExclusions: true } })], { env: ENV });
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    const reportOnly = await runCli(['config', 'check', '--config', writeConfig({ policy: { ...policy, state: 'enabledForReportingButNotEnforced' } })], { env: ENV });
    expect(reportOnly.code).toBe(0);
  });
});

describe('tq-entra: What If before enforcing', () => {
  it('apply refuses the enable while an emergency account would be blocked (policy left report-only); plan then warns report-only -> enabled; excluding the account enables it', async () => {
    suite.emu.seed({ directory: { users: [EMERGENCY, OTHER] } });
    const file = indicators(['11.22.33.44', '45.67.89.0/24']);
    const unsafe = writeConfig({ policy: { state: 'enabled', users: { include: ['All'], exclude: [OTHER] } }, safety: { emergencyAccounts: [EMERGENCY], whatIfSampleSize: 1 } });
    const refused = await runCli(['apply', '--config', unsafe, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/tq-entra: ERR_SAFETY_WHATIF: refusing to enable policy "TQ Block policy"/);
    expect(refused.stderr).toContain(`emergency account ${EMERGENCY} from 11.22.33.44: policyApplies=true, reasons=notSet (must not apply)`);
    expect(policiesIn(suite.emu).map((p) => p.state)).toEqual(['enabledForReportingButNotEnforced']);

    const plan = await runCli(['plan', '--config', unsafe, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/Warning: policy "TQ Block policy" moves from report-only \(enabledForReportingButNotEnforced\) to enabled/);
    expect(plan.stdout).toMatch(/What If: 1 evaluation\(s\) before the policy is enabled \(written report-only until they pass\); sign-in: app 797f4846-ba00-4fd7-ba43-dac1f8f63013, browser, windows/);

    const safe = writeConfig({ policy: { state: 'enabled', users: { include: ['All'], exclude: [EMERGENCY] } }, safety: { emergencyAccounts: [EMERGENCY], whatIfSampleSize: 1 } });
    const enabled = await runCli(['apply', '--config', safe, '--target', TARGET, '--indicators', file, '--json'], { env: ENV });
    expect(enabled.code).toBe(0);
    const out = JSON.parse(enabled.stdout) as { whatIf: { outcome: string; evaluations: { userId: string; policyApplies: boolean; analysisReasons: string[] }[] } };
    expect(out.whatIf.outcome).toBe('passed');
    expect(out.whatIf.evaluations).toEqual([expect.objectContaining({ userId: EMERGENCY, policyApplies: false, analysisReasons: ['users'] })]);
    expect(policiesIn(suite.emu)[0]?.state).toBe('enabled');
  }, 120_000);
});

describe('tq-entra enable: the kill switch release is checked like an enable', () => {
  it('refuses to enable while What If says an emergency account would be blocked: exit 1 with the evaluation, switch released, policy report-only', async () => {
    suite.emu.seed({ directory: { users: [EMERGENCY, OTHER] } });
    const prefix = `${suite.r.prefix}:enable`;
    const path = join(dir, 'config-enable.yaml');
    const target = targetDoc(suite.emu, { policy: { state: 'enabled', users: { include: ['All'], exclude: [OTHER] } }, safety: { emergencyAccounts: [EMERGENCY], whatIfSampleSize: 1 } });
    writeFileSync(path, stringify({ redis: { url: suite.r.url, prefix }, sources: [{ name: 'feed', kind: 'file', path: '/feeds/a.txt', targets: [TARGET] }], targets: [target] }));
    const keys = stateKeys(prefix);
    const meta = { runId: 'a1', committedAt: new Date().toISOString(), seen: 1, accepted: 1, rejected: 0, ranges: 1 };
    await commitSnapshot(suite.r.client, keys, 'feed', '/feeds/a.txt', [{ cidr: '11.22.33.44/32', weight: 1 }], meta, 0);

    const off = await runCli(['disable', '--config', path, '--target', TARGET, '--reason', 'not yet'], { env: ENV });
    expect(off.code, off.stderr).toBe(0);
    const applied = await runCli(['apply', '--config', path, '--target', TARGET], { env: ENV });
    expect(applied.code, applied.stderr).toBe(0);
    expect(policiesIn(suite.emu).map((p) => p.state)).toEqual(['disabled']);

    const on = await runCli(['enable', '--config', path, '--target', TARGET, '--by', 'bob'], { env: ENV });
    expect(on.code).toBe(1);
    expect(on.stderr).toMatch(/tq-entra: ERR_SAFETY_WHATIF: refusing to enable policy "TQ Block policy"/);
    expect(on.stderr).toContain(`emergency account ${EMERGENCY} from 11.22.33.44: policyApplies=true, reasons=notSet (must not apply)`);
    expect(policiesIn(suite.emu).map((p) => p.state)).toEqual(['enabledForReportingButNotEnforced']);
    expect(await readKillSwitch(suite.r.client, keys, TARGET)).toBeUndefined();
  }, 120_000);
});
