/**
 * `tq-entra report` as a user runs it: the real binary on a real Redis holding a run record.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { stateKeys } from '../../src/state/redis-keys.ts';
import { writeRun } from '../../src/pipeline/run-store.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';
import { runCli } from '../helpers/run-cli.ts';

let r: TestRedis;
beforeEach(() => {
  r = testRedis('cli-report');
  return async () => {
    await r.cleanup();
  };
});

function writeConfig(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tqe-report-')), 'config.yaml');
  const target = {
    name: 't1',
    tenantId: '11111111-2222-3333-4444-555555555555',
    clientId: '66666666-7777-8888-9999-000000000000',
    clientSecret: 's',
    namedLocation: { name: 'Report Block' },
    policy: { name: 'Report Block policy' },
  };
  writeFileSync(path, stringify({ redis: { url: r.url, prefix: r.prefix }, targets: [target] }));
  return path;
}

describe('tq-entra report', () => {
  it('prints a failed run\'s code once, and escapes control characters in its message', async () => {
    const config = writeConfig();
    await writeRun(r.client, stateKeys(r.prefix), {
      id: 'reconcile-t1-1',
      kind: 'reconcile',
      name: 't1',
      trigger: 'manual',
      status: 'failed',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      counts: {},
      error: { code: 'ERR_SAFETY_EMPTY', message: 'ERR_SAFETY_EMPTY: refusing to reconcile target "t1": the desired set is empty \u001b[2J' },
    });
    const res = await runCli(['report', '--config', config, '--run', 'reconcile-t1-1'], { env: { LOG_LEVEL: 'warn' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('  error: ERR_SAFETY_EMPTY: refusing to reconcile target "t1": the desired set is empty \\x1b[2J');
    expect(res.stdout).not.toContain('ERR_SAFETY_EMPTY: ERR_SAFETY_EMPTY');
    // eslint-disable-next-line no-control-regex
    expect(res.stdout).not.toMatch(/\u001b/);
  });
});
