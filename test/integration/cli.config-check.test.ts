import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

const EXAMPLE_ENV = {
  TQ_EAST_CLIENT_ID: 'east-id',
  TQ_EAST_CLIENT_SECRET: 'east-secret-value',
  TQ_WEST_EMAIL: 'api@example.com',
  TQ_WEST_PASSWORD: 'west-password-value',
  TQ_WEST_API_CLIENT_ID: 'west-api-client',
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
  ENTRA_CLIENT_SECRET: 'entra-secret-value',
  NOTIFY_SLACK_URL: 'https://hooks.slack.com/services/T00000000/B00000000/slack-webhook-token-value',
  NOTIFY_TEAMS_URL: 'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=teams-webhook-sig-value',
};

function tempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tqe-cfg-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

const BROKEN = `
sources:
  - name: tq
    kind: threatq
    url: https://tq.example.com
    auth: { grant: client_credentials, clientId: c, clientSecret: "\${TQ_SECRET_NOT_SET}" }
    collections: [{ id: abc, targets: [t1] }]
targets:
  - name: t1
    tenantId: t
    clientId: c
    clientSecret: s
    namedLocation: { name: Blocked }
    policy: { name: Block, state: Enabled }
`;

describe('tq-entra CLI', () => {
  it('prints help and version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('config');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('config check passes on config/example.yaml with its env vars, and reads TQ_ENTRA_CONFIG', async () => {
    const r = await runCli(['config', 'check', '--config', 'config/example.yaml'], { env: EXAMPLE_ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK \(3 source\(s\), 3 collection\(s\), 1 target\(s\)\)/);
    const viaEnv = await runCli(['config', 'check'], { env: { ...EXAMPLE_ENV, TQ_ENTRA_CONFIG: 'config/example.yaml' } });
    expect(viaEnv.code).toBe(0);
  });

  it('--print redacts every secret', async () => {
    const r = await runCli(['config', 'check', '--config', 'config/example.yaml', '--print'], { env: EXAMPLE_ENV });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[REDACTED]');
    for (const secret of ['east-secret-value', 'west-password-value', 'entra-secret-value', 'slack-webhook-token-value', 'teams-webhook-sig-value']) expect(r.stdout).not.toContain(secret);
  });

  it('--print redacts credentials in URLs (a ThreatQ url with user:password@)', async () => {
    const text = (await import('node:fs')).readFileSync('config/example.yaml', 'utf8').replace('url: https://threatq-east.example.com', 'url: https://tq-admin:Hunter2-url-pass@threatq-east.example.com');
    const r = await runCli(['config', 'check', '--config', tempConfig(text), '--print'], { env: EXAMPLE_ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Hunter2-url-pass');
    expect(r.stdout).toContain('https://tq-admin:[REDACTED]@threatq-east.example.com');
  });

  it('exits 2 naming the missing env var', async () => {
    const r = await runCli(['config', 'check', '--config', tempConfig(BROKEN)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sources[0].auth.clientSecret: environment variable TQ_SECRET_NOT_SET is not set');
  });

  it('exits 2 naming a wrong enum, an unknown key and a dangling target', async () => {
    const text = BROKEN.replace('"${TQ_SECRET_NOT_SET}"', 'tq-secret-123').replace('targets: [t1] }', 'targets: [t2] }').replace('tenantId: t', 'tenantId: t\n    colour: red');
    const r = await runCli(['config', 'check', '--config', tempConfig(text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('targets[0].policy.state: expected one of enabled, disabled, enabledForReportingButNotEnforced');
    expect(r.stderr).toContain('targets[0].colour: unknown key');
    expect(r.stderr).not.toContain('tq-secret-123');
    const dangling = await runCli(['config', 'check', '--config', tempConfig(BROKEN.replace('"${TQ_SECRET_NOT_SET}"', 'x').replace('targets: [t1] }', 'targets: [t2] }').replace('state: Enabled', 'state: enabled'))]);
    expect(dangling.code).toBe(2);
    expect(dangling.stderr).toContain('sources[0].collections[0].targets[0]: no target named "t2" (known: t1)');
  });

  it('exits 2 on a missing file, no config, or an unknown command', async () => {
    expect((await runCli(['config', 'check', '--config', '/nonexistent.yaml'])).code).toBe(2);
    const none = await runCli(['config', 'check'], { env: { TQ_ENTRA_CONFIG: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pass --config FILE or set TQ_ENTRA_CONFIG');
    expect((await runCli(['no-such-command'])).code).toBe(2);
  });
});
