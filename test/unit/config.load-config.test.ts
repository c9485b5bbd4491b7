import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile, loadConfigText, redactConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/config/errors/config-error.ts';
import { parseDuration } from '../../src/config/schema.ts';

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

function minimal(): Record<string, unknown> {
  return {
    sources: [
      {
        name: 'tq',
        kind: 'threatq',
        url: 'https://tq.example.com',
        auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's3cr3t-tq' },
        collections: [{ id: 'abc', targets: ['t1'] }],
      },
    ],
    targets: [
      {
        name: 't1',
        tenantId: '0b0f6b86-5f4a-4c53-9d1e-1f0c2a3b4c5d',
        clientId: '3c5e7a90-1b2d-4e6f-8a0b-2c4d6e8f0a1b',
        clientSecret: 's3cr3t-graph',
        namedLocation: { name: 'Blocked' },
        policy: { name: 'Block' },
      },
    ],
  };
}

function problems(doc: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfigText(stringify(doc), { env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected the configuration to be rejected');
}

function edit(fn: (d: any) => void): Record<string, unknown> {
  const d = minimal();
  fn(d);
  return d;
}

describe('loadConfig', () => {
  it('accepts config/example.yaml with its documented env vars', () => {
    const cfg = loadConfigFile('config/example.yaml', { env: EXAMPLE_ENV });
    expect(cfg.sources.map((s) => s.name)).toEqual(['tq-east', 'tq-west', 'local-list']);
    expect(cfg.targets[0]?.clientSecret).toBe('entra-secret-value');
    expect(cfg.notify.map((n) => [n.name, n.kind, n.window])).toEqual([['secops-slack', 'slack', 3_600_000], ['teams-2', 'teams', 3_600_000]]);
  });

  it('fills every default and freezes the result', () => {
    const cfg = loadConfigText(stringify(minimal()), { env: {} });
    expect(cfg.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'tq-entra' });
    const s = cfg.sources[0];
    expect(s?.kind).toBe('threatq');
    if (s?.kind !== 'threatq') throw new Error('unreachable');
    expect(s.tls).toEqual({ verify: true });
    expect(s.disableProxies).toBe(false);
    expect(s.pageSize).toBe(500);
    expect(s.collections[0]?.statuses).toEqual(['Active']);
    expect(s.collections[0]?.types).toEqual(['IP Address', 'IPv6 Address', 'CIDR Block']);
    const t = cfg.targets[0]!;
    expect(t.objectsPerRun).toBe(1000);
    expect(t.mode).toBe('mirror');
    expect(t.cloud).toEqual({ graphBaseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com' });
    expect(t.rateLimit.requestsPerSecond).toBe(1);
    expect(t.namedLocation).toEqual({ name: 'Blocked', isTrusted: false, clearOnManualRun: false, maxRangesPerLocation: 2000, maxLocations: 10 });
    expect(t.policy.state).toBe('enabledForReportingButNotEnforced');
    expect(t.policy.deleteExisting).toBe(false);
    expect(t.policy.applications).toEqual({ include: ['All'], includeAppIds: [], exclude: [], excludeAppIds: [] });
    expect(t.policy.clientAppTypes).toEqual(['all']);
    expect(t.policy.platforms).toEqual({ include: [], exclude: [] });
    expect(t.policy.excludeLocation).toBe(false);
    expect(t.policy.users).toBeUndefined();
    expect(t.safety).toEqual({
      minPrefixV4: 9,
      minPrefixV6: 24,
      warnBroaderThanV4: 12,
      warnBroaderThanV6: 29,
      allowReserved: false,
      neverBlock: [],
      maxRemovalFraction: 0.5,
      refuseEmpty: true,
      allowNoExclusions: false,
      emergencyAccounts: [],
      canaryUsers: [],
      whatIfSampleSize: 5,
    });
    expect(cfg.dashboard).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(cfg.worker).toEqual({ concurrency: { collect: 2, ingest: 4, reconcile: 16, writeback: 1, notify: 4 }, lockDurationMs: 30_000, stalledIntervalMs: 30_000, http: { host: '127.0.0.1', port: 9464 } });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.targets[0]?.policy.applications.include)).toBe(true);
    expect(() => {
      (cfg.targets[0] as any).name = 'x';
    }).toThrow(TypeError);
  });

  it('names a wrong enum by path with the allowed values', () => {
    expect(problems(edit((d) => (d.targets[0].policy.state = 'Enabled')))).toEqual([
      'targets[0].policy.state: expected one of enabled, disabled, enabledForReportingButNotEnforced',
    ]);
    expect(problems(edit((d) => (d.targets[0].policy.clientAppTypes = ['All'])))[0]).toMatch(
      /^targets\[0\]\.policy\.clientAppTypes\[0\]: expected one of all, browser/,
    );
    expect(problems(edit((d) => (d.targets[0].policy.platforms = { include: ['MacOS'] })))[0]).toMatch(
      /^targets\[0\]\.policy\.platforms\.include\[0\]: expected one of all, android, iOS/,
    );
    expect(problems(edit((d) => (d.targets[0].policy.signInRiskLevels = ['severe'])))[0]).toMatch(/signInRiskLevels\[0\]: expected one of low, medium, high/);
    expect(problems(edit((d) => (d.targets[0].policy.applications = { exclude: ['All'] })))[0]).toMatch(
      /applications\.exclude\[0\]: expected one of Office365, MicrosoftAdminPortals/,
    );
    expect(problems(edit((d) => (d.targets[0].mode = 'replace')))[0]).toBe('targets[0].mode: expected one of mirror, append');
    expect(problems(edit((d) => (d.sources[0].collections[0].types = ['FQDN'])))[0]).toMatch(/types\[0\]: expected one of IP Address/);
  });

  it('rejects unknown keys at every level', () => {
    expect(problems(edit((d) => (d.extra = 1)))).toEqual(['extra: unknown key']);
    expect(problems(edit((d) => (d.targets[0].policy.stat = 'enabled')))).toEqual(['targets[0].policy.stat: unknown key']);
    expect(problems(edit((d) => (d.sources[0].collections[0].hash = 'x')))).toEqual(['sources[0].collections[0].hash: unknown key']);
    expect(problems(edit((d) => (d.targets[0].safety = { minPrefix: 8 })))).toEqual(['targets[0].safety.minPrefix: unknown key']);
  });

  it('interpolates ${NAME} from the environment and names a missing variable', () => {
    const doc = edit((d) => (d.targets[0].clientSecret = '${GRAPH_SECRET}'));
    const cfg = loadConfigText(stringify(doc), { env: { GRAPH_SECRET: 'from-env' } });
    expect(cfg.targets[0]?.clientSecret).toBe('from-env');
    const mixed = edit((d) => (d.sources[0].url = 'https://${TQ_HOST}:8443/api'));
    expect(loadConfigText(stringify(mixed), { env: { TQ_HOST: 'tq.local' } }).sources[0]).toMatchObject({ url: 'https://tq.local:8443/api' });
    expect(problems(doc, {})).toEqual(['targets[0].clientSecret: environment variable GRAPH_SECRET is not set']);
    const escaped = edit((d) => (d.targets[0].namedLocation.name = 'Blocked $${NOT_A_VAR}'));
    expect(loadConfigText(stringify(escaped), { env: {} }).targets[0]?.namedLocation.name).toBe('Blocked ${NOT_A_VAR}');
    try {
      loadConfigText(stringify(doc), { env: {} });
    } catch (e) {
      expect((e as ConfigError).code).toBe('ERR_CONFIG_ENV_MISSING');
    }
  });

  it('lets number and boolean keys take their value from ${NAME}', () => {
    const doc = edit((d) => {
      d.targets[0].objectsPerRun = '${OPR}';
      d.targets[0].namedLocation.isTrusted = '${TRUSTED}';
      d.targets[0].clientSecret = '${SECRET}';
    });
    const cfg = loadConfigText(stringify(doc), { env: { OPR: '250', TRUSTED: 'true', SECRET: '12345' } });
    expect(cfg.targets[0]?.objectsPerRun).toBe(250);
    expect(cfg.targets[0]?.namedLocation.isTrusted).toBe(true);
    expect(cfg.targets[0]?.clientSecret).toBe('12345');
    expect(problems(doc, { OPR: 'lots', TRUSTED: 'true', SECRET: 'x' })).toEqual(['targets[0].objectsPerRun: expected number, got string']);
  });

  it('rejects a collection that names a target that does not exist', () => {
    expect(problems(edit((d) => (d.sources[0].collections[0].targets = ['t1', 'nope'])))).toEqual([
      'sources[0].collections[0].targets[1]: no target named "nope" (known: t1)',
    ]);
    const file = edit((d) => d.sources.push({ name: 'f', kind: 'file', path: '/tmp/x', targets: ['ghost'] }));
    expect(problems(file)).toEqual(['sources[1].targets[0]: no target named "ghost" (known: t1)']);
  });

  it('rejects duplicate names and collection ids', () => {
    expect(problems(edit((d) => d.targets.push({ ...d.targets[0], namedLocation: { name: 'Other' }, policy: { name: 'Other' } })))).toEqual([
      'targets[1].name: duplicate target name "t1"',
    ]);
    expect(problems(edit((d) => d.sources.push({ ...d.sources[0] })))).toEqual(['sources[1].name: duplicate source name "tq"']);
    expect(problems(edit((d) => d.sources[0].collections.push({ id: 'abc', targets: ['t1'] })))).toEqual([
      'sources[0].collections[1].id: duplicate collection id "abc"',
    ]);
  });

  it('requires exactly one Graph credential', () => {
    expect(problems(edit((d) => delete d.targets[0].clientSecret))).toEqual(['targets[0].clientSecret: expected clientSecret or certificatePath']);
    expect(problems(edit((d) => (d.targets[0].certificatePath = 'config/example.yaml')))).toEqual([
      'targets[0].certificatePath: expected only one of clientSecret and certificatePath',
    ]);
  });

  it('checks ThreatQ auth per grant', () => {
    expect(problems(edit((d) => (d.sources[0].auth = { grant: 'password', email: 'a@b' }))).sort()).toEqual([
      'sources[0].auth.clientId: required, expected string',
      'sources[0].auth.password: required, expected string',
    ]);
    expect(problems(edit((d) => (d.sources[0].auth = { grant: 'implicit' })))[0]).toMatch(/^sources\[0\]\.auth(\.grant)?: /);
  });

  it('reports missing required keys and wrong types', () => {
    expect(problems(edit((d) => delete d.targets[0].policy))).toEqual(['targets[0].policy: required, expected object']);
    expect(problems(edit((d) => (d.targets[0].objectsPerRun = 'many')))).toEqual(['targets[0].objectsPerRun: expected number, got string']);
    expect(problems(edit((d) => (d.targets[0].namedLocation.isTrusted = 'yes')))).toEqual(['targets[0].namedLocation.isTrusted: expected boolean, got string']);
    expect(problems(edit((d) => (d.targets = [])))).toContain('targets: expected at least 1 item(s)');
    expect(problems(edit((d) => (d.sources[0].url = 'not a url')))[0]).toMatch(/^sources\[0\]\.url: /);
  });

  it('enforces numeric bounds from the platform limits', () => {
    expect(problems(edit((d) => (d.targets[0].namedLocation.maxRangesPerLocation = 2001)))[0]).toMatch(/maxRangesPerLocation/);
    expect(problems(edit((d) => (d.targets[0].namedLocation.maxLocations = 196)))[0]).toMatch(/maxLocations/);
    expect(problems(edit((d) => (d.targets[0].safety = { minPrefixV4: 7 })))[0]).toMatch(/safety\.minPrefixV4/);
    expect(problems(edit((d) => (d.targets[0].safety = { maxRemovalFraction: 1.5 })))[0]).toMatch(/maxRemovalFraction/);
    expect(problems(edit((d) => (d.targets[0].safety = { neverBlock: ['203.0.113.0/24', 'office.example.com'] })))).toEqual([
      'targets[0].safety.neverBlock[1]: expected an IPv4 or IPv6 address or CIDR',
    ]);
  });

  it('parses schedules: every, cron, and rejects bad ones', () => {
    const every = loadConfigText(stringify(edit((d) => (d.sources[0].collections[0].schedule = { every: '15m' }))), { env: {} });
    const s0 = every.sources[0];
    if (s0?.kind !== 'threatq') throw new Error('unreachable');
    expect(s0.collections[0]?.schedule).toEqual({ kind: 'every', everyMs: 900_000 });
    const cron = loadConfigText(stringify(edit((d) => (d.sources[0].collections[0].schedule = { cron: '0 */6 * * *' }))), { env: {} });
    const s1 = cron.sources[0];
    if (s1?.kind !== 'threatq') throw new Error('unreachable');
    expect(s1.collections[0]?.schedule).toEqual({ kind: 'cron', cron: '0 */6 * * *' });
    expect(problems(edit((d) => (d.sources[0].collections[0].schedule = { every: 'hourly' })))[0]).toMatch(/schedule/);
    expect(problems(edit((d) => (d.sources[0].collections[0].schedule = { cron: 'every hour' })))[0]).toMatch(/schedule/);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1 h')).toBe(3_600_000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('requires dashboard credentials off loopback', () => {
    expect(problems(edit((d) => (d.dashboard = { host: '0.0.0.0' })))).toEqual([
      'dashboard.username: expected username and password when dashboard.host is not a loopback address',
    ]);
    const ok = loadConfigText(stringify(edit((d) => (d.dashboard = { host: '0.0.0.0', username: 'ops', password: 'dash-pass' }))), { env: {} });
    expect(ok.dashboard.host).toBe('0.0.0.0');
  });

  it('lets REDIS_URL win over redis.url', () => {
    const cfg = loadConfigText(stringify(edit((d) => (d.redis = { url: 'redis://cfg:6379' }))), { env: { REDIS_URL: 'redis://env:6380' } });
    expect(cfg.redis.url).toBe('redis://env:6380');
  });

  it('takes a Redis Cluster (redis.cluster.nodes) with a hash-tagged prefix, and refuses one without', () => {
    const nodes = ['10.0.0.1:7000', 'redis://10.0.0.2:7000', '[::1]:7001'];
    const cfg = loadConfigText(stringify(edit((d) => (d.redis = { cluster: { nodes }, prefix: '{tq-entra}' }))), { env: {} });
    expect(cfg.redis).toEqual({ cluster: { nodes }, prefix: '{tq-entra}' });
    expect(problems(edit((d) => (d.redis = { cluster: { nodes: ['10.0.0.1:7000'] } })))).toEqual([
      'redis.prefix: a Redis Cluster needs every key in one hash slot: write the prefix with a hash tag, e.g. prefix: "{tq-entra}", got "tq-entra"',
    ]);
    // An empty tag `{}` hashes the whole key: not a hash tag.
    expect(problems(edit((d) => (d.redis = { cluster: { nodes: ['10.0.0.1:7000'] }, prefix: '{}svc' })))[0]).toMatch(/^redis\.prefix: .*prefix: "\{svc\}"/);
    expect(problems(edit((d) => (d.redis = { url: 'redis://a:6379', cluster: { nodes: ['10.0.0.1:7000'] }, prefix: '{x}' })))).toEqual([
      'redis.cluster: expected either redis.url (one Redis) or redis.cluster (a Redis Cluster), not both',
    ]);
    expect(problems(edit((d) => (d.redis = { cluster: { nodes: ['10.0.0.1'] }, prefix: '{x}' })))).toEqual([
      'redis.cluster.nodes[0]: expected host:port or a redis:// URL with a port, e.g. 10.0.0.5:7000',
    ]);
    expect(problems(edit((d) => (d.redis = { cluster: { nodes: [] }, prefix: '{x}' })))).toEqual(['redis.cluster.nodes: expected at least 1 item(s)']);
  });

  it('refuses REDIS_URL beside redis.cluster (exactly one way to reach Redis)', () => {
    const doc = edit((d) => (d.redis = { cluster: { nodes: ['10.0.0.1:7000'] }, prefix: '{tq}' }));
    expect(problems(doc, { REDIS_URL: 'redis://env:6380' })).toEqual([
      'redis.cluster: the REDIS_URL environment variable is set too (it names one Redis): unset REDIS_URL to use the cluster, or remove redis.cluster',
    ]);
  });

  it('keeps the cluster password and node URL passwords secret', () => {
    const redis = { cluster: { nodes: ['redis://:node-pass-2@10.0.0.1:7000'], password: 'cluster-pass-3' }, prefix: '{tq}' };
    const cfg = loadConfigText(stringify(edit((d) => (d.redis = redis))), { env: {} });
    const text = JSON.stringify(redactConfig(cfg));
    for (const secret of ['node-pass-2', 'cluster-pass-3']) expect(text).not.toContain(secret);
  });

  it('lists every field problem at once (cross-field checks follow once fields are valid)', () => {
    const list = problems(
      edit((d) => {
        d.targets[0].policy.state = 'on';
        d.targets[0].bogus = true;
        d.sources[0].pageSize = 0;
      }),
    );
    expect(list).toHaveLength(3);
  });

  it('reports YAML syntax errors and unreadable files', () => {
    expect(() => loadConfigText('targets: [\n', { env: {} })).toThrow(/YAML/);
    expect(() => loadConfigFile('/nonexistent/config.yaml')).toThrow(/file not found/);
  });

  it('redacts secrets when the config is printed', () => {
    const cfg = loadConfigText(stringify(edit((d) => (d.redis = { url: 'redis://:redis-pass-1@localhost:6379' }))), { env: {} });
    const text = JSON.stringify(redactConfig(cfg));
    for (const secret of ['s3cr3t-tq', 's3cr3t-graph', 'redis-pass-1']) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
  });
});
