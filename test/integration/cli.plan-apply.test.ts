/**
 * `tq-entra plan` and `tq-entra apply` as a user runs them: the real binary against the Graph
 * emulator over HTTPS and a real Redis. Plan writes nothing; apply performs and prints what it did;
 * a second apply changes nothing; without --indicators the committed snapshots (fan-in, never-block
 * subtracted) are the source; exit 1 with the typed code on refusals and Graph validation errors
 * (Microsoft's message shown); exit 2 on usage errors; `apply --indicators` on a pinned target is a
 * usage error naming the pin unless `--ignore-pin`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { writePin } from '../../src/state/pin-store.ts';
import { acquireTargetLock } from '../../src/state/target-lock.ts';
import { commitSnapshot } from '../../src/state/snapshot-store.ts';
import { LOCATION, locationsIn, policiesIn, rangesOf, TARGET, targetDoc, writes } from '../fixtures/reconcile/emulator-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { runCli } from '../helpers/run-cli.ts';

let emu: GraphEmulator;
let r: TestRedis;
let dir: string;

beforeAll(async () => {
  emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
  dir = mkdtempSync(join(tmpdir(), 'tqe-cli-reconcile-'));
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.configure({ throttle: { requestsPerSecond: 0 } });
  r = testRedis('cli-plan-apply');
  return async () => {
    await r.cleanup();
  };
});

function writeConfig(over: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(path, stringify({ redis: { url: r.url, prefix: r.prefix }, targets: [targetDoc(emu, over)], ...extra }));
  return path;
}

function writeIndicators(lines: string[]): string {
  const path = join(dir, `indicators-${Math.random().toString(36).slice(2, 8)}.txt`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const ENV = { LOG_LEVEL: 'warn' };

describe('tq-entra plan / apply', () => {
  it('plan prints the diff and writes nothing; apply performs it; a second apply changes nothing', async () => {
    const config = writeConfig();
    const file = writeIndicators(['# feed', '11.22.33.44', '2a00:1450:0:0::1', '45.67.89.0/24  # a range', 'not-an-ip', '10.0.0.1', '2001:db8::5']);

    const plan = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(plan.stderr).toMatch(/3 indicator\(s\) accepted, 3 rejected/);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/create\s+"TQ Block" \+3 -0 -> 3 range\(s\)/);
    expect(plan.stdout).toContain('+ 11.22.33.44/32');
    expect(plan.stdout).toContain('Policy: create');
    expect(writes(emu)).toEqual([]);

    const json = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', file, '--json'], { env: ENV });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { plan: { steps: { kind: string }[]; summary: { writes: number } }; applied?: unknown };
    expect(parsed.plan.steps.map((s) => s.kind)).toEqual(['createLocation', 'createPolicy']);
    expect(parsed.applied).toBeUndefined();

    const apply = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(apply.stderr).not.toMatch(/error/i);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/createLocation "TQ Block" [0-9a-f-]{36} \+3 -0/);
    expect(apply.stdout).toMatch(/createPolicy "TQ Block policy"/);
    expect(rangesOf(locationsIn(emu)[0]).sort()).toEqual(['11.22.33.44/32', '2a00:1450::1/128', '45.67.89.0/24']);
    expect(policiesIn(emu)).toHaveLength(1);

    emu.clearRequests();
    const again = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to change');
    expect(writes(emu)).toEqual([]);
  });

  it('without --indicators uses the committed snapshots of every collection feeding the target, minus neverBlock', async () => {
    const sources = {
      sources: [
        { name: 'feed-a', kind: 'file', path: '/feeds/a.txt', targets: [TARGET] },
        { name: 'feed-b', kind: 'file', path: '/feeds/b.txt', targets: [TARGET] },
      ],
    };
    const config = writeConfig({ safety: { neverBlock: ['198.51.100.0/25'] } }, sources);
    const keys = stateKeys(r.prefix);
    const meta = (runId: string) => ({ runId, committedAt: new Date().toISOString(), seen: 2, accepted: 2, rejected: 0, ranges: 2 });
    await commitSnapshot(r.client, keys, 'feed-a', '/feeds/a.txt', [{ cidr: '198.51.100.0/24', weight: 5 }, { cidr: '192.0.2.9/32', weight: 1 }], meta('a1'), 0);
    await commitSnapshot(r.client, keys, 'feed-b', '/feeds/b.txt', [{ cidr: '203.0.113.5/32', weight: 2 }], meta('b1'), 0);

    const res = await runCli(['apply', '--config', config, '--target', TARGET, '--json'], { env: ENV });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { desiredFrom: string; snapshots: { label: string; ranges: number }[] };
    expect(out.desiredFrom).toBe('snapshots');
    expect(out.snapshots.map((s) => [s.label, s.ranges])).toEqual([['feed-a', 2], ['feed-b', 1]]);
    expect(rangesOf(locationsIn(emu)[0]).sort()).toEqual(['192.0.2.9/32', '198.51.100.128/25', '203.0.113.5/32']);
  });

  it('refusals exit 1 with the code and write nothing; plan shows the refusal', async () => {
    const config = writeConfig();
    const empty = writeIndicators(['# nothing here']);
    const apply = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', empty], { env: ENV });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/tq-entra: ERR_SAFETY_EMPTY: refusing to reconcile target "emulated"/);
    const plan = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', empty], { env: ENV });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(/Refused: ERR_SAFETY_EMPTY/);
    expect(writes(emu)).toEqual([]);
  });

  it("a Graph validation error exits 1 with the error code and Microsoft's message", async () => {
    const config = writeConfig({ policy: { clientAppTypes: ['exchangeActiveSync'], platforms: { include: ['macOS'] } } });
    const file = writeIndicators(['11.22.33.44']);
    const res = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/tq-entra: ERR_GRAPH_VALIDATION: .*HTTP 400/);
    expect(res.stderr).toContain('P7');
    // The location was written and recorded; the policy was not.
    expect(locationsIn(emu).map((l) => l.displayName)).toEqual([LOCATION]);
    expect(policiesIn(emu)).toEqual([]);
  });

  it('usage errors exit 2', async () => {
    const config = writeConfig();
    const unknown = await runCli(['plan', '--config', config, '--target', 'nope'], { env: ENV });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no target named "nope"/);
    const missing = await runCli(['apply', '--config', config], { env: ENV });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--target/);
  });

  it('--indicators prints rejected examples escaped, never raw terminal control sequences', async () => {
    const config = writeConfig();
    const file = writeIndicators(['11.22.33.44', '\u001b]0;pwned\u0007', '\u009b2J', 'evil\u202etxt']);
    const plan = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(plan.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(plan.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(plan.stderr).toContain('\\x1b]0;pwned\\x07');
    expect(plan.stderr).toContain('\\x9b2J');
    expect(plan.stderr).toContain('evil\\u{202E}txt');
    expect(plan.stderr).toMatch(/1 indicator\(s\) accepted, 3 rejected/);
  });

  it('--indicators reads lines like ranges merge (trailing comments, CR-only ends, UTF-16) and applies the floors and never-block', async () => {
    const config = writeConfig({ safety: { neverBlock: ['11.22.33.44'] } });
    const path = join(dir, 'utf16.txt');
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('# list\r11.22.33.44\r11.22.33.46 # scanner\r2a00:1450::1\r', 'utf16le')]));
    const r = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', path, '--json'], { env: ENV });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/decoded as UTF-16LE\): 3 indicator\(s\) accepted, 0 rejected -> 2 range\(s\)/);
    const out = JSON.parse(r.stdout) as { desiredBeforeNeverBlock: number; plan: { summary: { desired: number }; locations: { added: string[] }[] } };
    expect(out.plan.locations.flatMap((l) => l.added).sort()).toEqual(['11.22.33.46/32', '2a00:1450::1/128']);
    expect(out.desiredBeforeNeverBlock).toBe(3);
  });

  it('--indicators beyond capacity: same plan as the whole list (live ranges kept first), counts cover every range', async () => {
    const config = writeConfig({ namedLocation: { maxLocations: 1, maxRangesPerLocation: 5 } });
    // 200 distinct ranges; the target holds 5. Two of the last ones are already blocked.
    const all = Array.from({ length: 200 }, (_, i) => `11.0.${i}.1`);
    const first = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', writeIndicators([all[150]!, all[199]!])], { env: ENV });
    expect(first.code).toBe(0);
    const r = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', writeIndicators(all), '--json'], { env: ENV });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      plan: { summary: { desired: number; removed: number; finalRanges: number }; overflow: { total: number; capacity: number; bySource: Record<string, number>; examples: string[] }; warnings: string[]; locations: { added: string[] }[] };
    };
    expect(out.plan.summary).toMatchObject({ desired: 200, removed: 0, finalRanges: 5 });
    expect(out.plan.locations.flatMap((l) => l.added)).toEqual(['11.0.0.1/32', '11.0.1.1/32', '11.0.2.1/32']);
    expect(out.plan.overflow).toMatchObject({ total: 195, capacity: 5 });
    expect(Object.values(out.plan.overflow.bySource)).toEqual([195]);
    expect(out.plan.overflow.examples).toHaveLength(20);
    expect(out.plan.warnings.join('\n')).toMatch(/^195 desired range\(s\) do not fit/m);
  });

  it('--indicators with 2,000,000 distinct addresses plans within a 128 MB heap (streamed and merged, not one object per range)', async () => {
    const config = writeConfig();
    const path = join(dir, 'big.txt');
    const lines: string[] = [];
    for (let i = 0; i < 2_000_000; i += 1) lines.push(`${11 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.${(i % 250) + 1}`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    const r = await runCli(['plan', '--config', config, '--target', TARGET, '--indicators', path, '--json'], {
      env: { ...ENV, NODE_OPTIONS: '--max-old-space-size=128' },
      timeoutMs: 120_000,
    });
    expect(r.stderr).toMatch(/2000000 indicator\(s\) accepted, 0 rejected -> 2000000 range\(s\)/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { plan: { summary: { desired: number }; overflow: { total: number } } };
    expect(out.plan.summary.desired).toBe(2_000_000);
    expect(out.plan.overflow.total).toBe(2_000_000 - 20_000);
  }, 180_000);
});

describe('tq-entra apply --indicators on a pinned target', () => {
  it('is refused (exit 2, naming the pin and tq-entra unpin, nothing written) unless --ignore-pin', async () => {
    const config = writeConfig();
    const file = writeIndicators(['11.22.33.44']);
    const lock = await acquireTargetLock(r.client, stateKeys(r.prefix), TARGET, { ttlMs: 10_000 });
    await writePin(r.client, stateKeys(r.prefix), lock, { run: 'rollback-1', at: '2026-11-30T01:00:00.000Z', by: 'alice', ranges: ['45.10.2.0/24'] });
    await lock.release();

    const refused = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', file], { env: ENV });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`target "${TARGET}" is pinned to run rollback-1 since 2026-11-30T01:00:00.000Z`);
    expect(refused.stderr).toContain(`tq-entra unpin --target ${TARGET}`);
    expect(refused.stderr).toContain('--ignore-pin');
    expect(writes(emu)).toEqual([]);

    const forced = await runCli(['apply', '--config', config, '--target', TARGET, '--indicators', file, '--ignore-pin'], { env: ENV });
    expect(forced.code, forced.stderr).toBe(0);
    expect(rangesOf(locationsIn(emu)[0])).toEqual(['11.22.33.44/32']);
  }, 60_000);
});
