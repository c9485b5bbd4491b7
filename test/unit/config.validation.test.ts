/**
 * Start-up validation of values that used to be accepted and fail only at run time (issue 13,
 * findings 3, 6 and 9): tenant and object ids, files named in the configuration, schedule bounds,
 * plain-words messages, the sane prefix floors and the "very broad" thresholds.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load-config.ts';
import { parseDuration } from '../../src/config/schema.ts';
import { DEFAULT_RANGE_OPTIONS } from '../../src/ranges/index.ts';
import { configProblems } from '../helpers/config-fixtures.ts';

const TENANT = '0b0f6b86-5f4a-4c53-9d1e-1f0c2a3b4c5d';
const CLIENT = '3c5e7a90-1b2d-4e6f-8a0b-2c4d6e8f0a1b';
const USER = '9f1e2d3c-4b5a-4697-8879-6a5b4c3d2e1f';

function doc(): any {
  return {
    sources: [{ name: 'list', kind: 'file', path: '/nonexistent/created-later.txt', targets: ['t1'] }],
    targets: [{ name: 't1', tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cr3t', namedLocation: { name: 'Blocked' }, policy: { name: 'Block' } }],
  };
}

function load(d: unknown) {
  return loadConfigText(stringify(d), { env: {} });
}

function problems(fn: (d: any) => void): string[] {
  const d = doc();
  fn(d);
  return configProblems(() => load(d));
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tqe-cfgv-')), name);
  writeFileSync(path, text);
  return path;
}

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

describe('tenant and object ids', () => {
  it('accepts a tenant GUID or a verified domain name', () => {
    expect(load(doc()).targets[0]?.tenantId).toBe(TENANT);
    const d = doc();
    d.targets[0].tenantId = 'contoso.onmicrosoft.com';
    expect(load(d).targets[0]?.tenantId).toBe('contoso.onmicrosoft.com');
  });

  it('refuses a tenantId that is neither a GUID nor a domain name', () => {
    expect(problems((d) => (d.targets[0].tenantId = 'not-a-guid'))).toEqual([
      `targets[0].tenantId: expected the tenant's GUID (Directory (tenant) ID) or a verified domain name such as contoso.onmicrosoft.com, got "not-a-guid"`,
    ]);
  });

  it.each(['common', 'organizations', 'consumers', 'Common'])('refuses the multi-tenant alias %s as tenantId', (alias) => {
    const [p] = problems((d) => (d.targets[0].tenantId = alias));
    expect(p).toMatch(/^targets\[0\]\.tenantId: ".+" is a multi-tenant sign-in alias, not a tenant/);
  });

  it('refuses a clientId that is not a GUID', () => {
    expect(problems((d) => (d.targets[0].clientId = 'abc'))).toEqual([
      'targets[0].clientId: expected a GUID such as 00000000-0000-0000-0000-000000000000, got "abc"',
    ]);
  });

  it('accepts user, group and role GUIDs and the documented keywords', () => {
    const d = doc();
    d.targets[0].policy.users = {
      include: ['All', 'None', 'GuestsOrExternalUsers', USER],
      exclude: ['GuestsOrExternalUsers', USER],
      includeGroups: [USER],
      excludeGroups: [USER],
      excludeRoles: ['62e90394-69f5-4237-9190-012177145e10'],
    };
    expect(load(d).targets[0]?.policy.users?.include).toHaveLength(4);
  });

  it('refuses users/groups/roles values that are neither GUIDs nor keywords, by path', () => {
    expect(problems((d) => (d.targets[0].policy.users = { exclude: ['not-a-guid'] }))).toEqual([
      'targets[0].policy.users.exclude[0]: expected a user id (a GUID) or one of GuestsOrExternalUsers, got "not-a-guid"',
    ]);
    expect(problems((d) => (d.targets[0].policy.users = { include: ['all'] }))).toEqual([
      'targets[0].policy.users.include[0]: expected a user id (a GUID) or one of All, None, GuestsOrExternalUsers, got "all"',
    ]);
    expect(problems((d) => (d.targets[0].policy.users = { exclude: ['All'] }))[0]).toMatch(/^targets\[0\]\.policy\.users\.exclude\[0\]: /);
    expect(problems((d) => (d.targets[0].policy.users = { includeGroups: ['Admins'] }))).toEqual([
      'targets[0].policy.users.includeGroups[0]: expected a group id (a GUID), got "Admins"',
    ]);
    expect(problems((d) => (d.targets[0].policy.users = { excludeGroups: ['x'] }))[0]).toMatch(/^targets\[0\]\.policy\.users\.excludeGroups\[0\]: expected a group id/);
    expect(problems((d) => (d.targets[0].policy.users = { excludeRoles: ['Global Administrator'] }))[0]).toMatch(
      /^targets\[0\]\.policy\.users\.excludeRoles\[0\]: expected a directory role template id \(a GUID\)/,
    );
  });
});

describe('files named in the configuration', () => {
  it('refuses a certificatePath that does not exist', () => {
    expect(
      problems((d) => {
        delete d.targets[0].clientSecret;
        d.targets[0].certificatePath = '/nonexistent/app.pem';
      }),
    ).toEqual(['targets[0].certificatePath: "/nonexistent/app.pem": no such file']);
  });

  it('refuses a certificatePath without a private key, and accepts certificate + key', () => {
    const certOnly = tempFile('cert.pem', CERT);
    expect(
      problems((d) => {
        delete d.targets[0].clientSecret;
        d.targets[0].certificatePath = certOnly;
      }),
    ).toEqual([`targets[0].certificatePath: ${JSON.stringify(certOnly)} holds no PEM private key (expected the certificate and its private key in one file)`]);
    const both = tempFile('app.pem', CERT + KEY);
    const d = doc();
    delete d.targets[0].clientSecret;
    d.targets[0].certificatePath = both;
    expect(load(d).targets[0]?.certificatePath).toBe(both);
  });

  it('refuses a target or source tls.caFile that is missing, a directory, unreadable or not PEM', () => {
    expect(problems((d) => (d.targets[0].tls = { caFile: '/nonexistent/ca.pem' }))).toEqual(['targets[0].tls.caFile: "/nonexistent/ca.pem": no such file']);
    const dir = mkdtempSync(join(tmpdir(), 'tqe-cfgv-dir-'));
    expect(problems((d) => (d.targets[0].tls = { caFile: dir }))).toEqual([`targets[0].tls.caFile: ${JSON.stringify(dir)} is a directory, expected a PEM file`]);
    const junk = tempFile('junk.pem', 'hello\n');
    expect(problems((d) => (d.targets[0].tls = { caFile: junk }))[0]).toMatch(/^targets\[0\]\.tls\.caFile: .* holds no PEM certificate/);
    const tq = { name: 'tq', kind: 'threatq', url: 'https://tq.example.com', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' }, tls: { caFile: '/nonexistent/tq-ca.pem' }, collections: [{ id: 'abc', targets: ['t1'] }] };
    expect(problems((d) => d.sources.push(tq))).toEqual(['sources[1].tls.caFile: "/nonexistent/tq-ca.pem": no such file']);
    if (process.getuid?.() !== 0) {
      const locked = tempFile('locked.pem', CERT);
      chmodSync(locked, 0o000);
      expect(problems((d) => (d.targets[0].tls = { caFile: locked }))).toEqual([`targets[0].tls.caFile: ${JSON.stringify(locked)}: not readable (permission denied)`]);
    }
    const ok = doc();
    ok.targets[0].tls = { caFile: tempFile('ca.pem', CERT) };
    expect(load(ok).targets[0]?.tls.caFile).toBe(ok.targets[0].tls.caFile);
  });

  it('does not require a file source path to exist yet (it may be written after start-up)', () => {
    expect(load(doc()).sources[0]).toMatchObject({ kind: 'file', path: '/nonexistent/created-later.txt' });
  });
});

describe('schedules and durations', () => {
  const every = (v: unknown) => problems((d) => (d.sources[0].schedule = { every: v }));
  const cron = (v: string) => problems((d) => (d.sources[0].schedule = { cron: v }));

  it('accepts every from 1m to 366d', () => {
    for (const [text, ms] of [['1m', 60_000], ['60s', 60_000], ['366d', 366 * 86_400_000]] as const) {
      const d = doc();
      d.sources[0].schedule = { every: text };
      expect(load(d).sources[0]).toMatchObject({ schedule: { kind: 'every', everyMs: ms } });
    }
  });

  it('refuses every below 1 minute or above 366 days, and an absurd number', () => {
    expect(every('30s')).toEqual(['sources[0].schedule.every: expected a duration between 1m (scheduler.minInterval) and 366d, got "30s"']);
    expect(every('367d')).toEqual(['sources[0].schedule.every: expected a duration between 1m and 366d, got "367d"']);
    expect(every('99999999999999999999d')).toEqual([
      'sources[0].schedule.every: expected a duration such as "15m", "1h" or "1d" (a number and one of ms, s, m, h, d), got "99999999999999999999d"',
    ]);
    expect(every('0m')[0]).toMatch(/^sources\[0\]\.schedule\.every: expected a duration such as/);
    expect(every(15)[0]).toMatch(/got "15"$/);
  });

  it('jobs: retention counts and age, with defaults', () => {
    expect(load(doc()).jobs).toEqual({ keepCompleted: 1000, keepFailed: 5000, keepEvents: 10_000, keepForMs: 7 * 86_400_000 });
    const d = doc();
    d.jobs = { keepCompleted: 50, keepFor: '2d' };
    expect(load(d).jobs).toEqual({ keepCompleted: 50, keepFailed: 5000, keepEvents: 10_000, keepForMs: 2 * 86_400_000 });
    expect(problems((x) => (x.jobs = { keepFor: '10s' }))).toEqual(['jobs.keepFor: expected a duration between 1m and 366d, got "10s"']);
    expect(problems((x) => (x.jobs = { keepCompleted: 0 }))[0]).toMatch(/^jobs\.keepCompleted: /);
  });

  it('scheduler.minInterval lowers the bound for tests and demos, never below 1s', () => {
    const d = doc();
    d.scheduler = { minInterval: '2s' };
    d.sources[0].schedule = { every: '3s' };
    expect(load(d).sources[0]).toMatchObject({ schedule: { kind: 'every', everyMs: 3000 } });
    expect(problems((x) => ((x.scheduler = { minInterval: '5s' }), (x.sources[0].schedule = { every: '3s' })))).toEqual([
      'sources[0].schedule.every: expected a duration between 5s (scheduler.minInterval) and 366d, got "3s"',
    ]);
    expect(problems((x) => (x.scheduler = { minInterval: '500ms' }))).toEqual(['scheduler.minInterval: expected a duration between 1s and 1h, got "500ms"']);
  });

  it('refuses a cron firing more often than once a minute; accepts one fixed second', () => {
    expect(cron('* * * * * *')).toEqual([
      'sources[0].schedule.cron: the cron expression "* * * * * *" fires more than once a minute: use 5 fields (minute first), or one fixed second',
    ]);
    expect(cron('*/30 * * * * *')[0]).toMatch(/fires more than once a minute/);
    const d = doc();
    d.sources[0].schedule = { cron: '15 */5 * * * *' };
    expect(load(d).sources[0]).toMatchObject({ schedule: { kind: 'cron' } });
    expect(cron('0 0 31 2 *')[0]).toMatch(/^sources\[0\]\.schedule\.cron: expected a cron expression of 5 fields/);
  });

  it('parseDuration refuses zero and values too large to be exact (sync --timeout 0s)', () => {
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('0ms')).toBeUndefined();
    expect(parseDuration('99999999999999999999d')).toBeUndefined();
    expect(parseDuration('1ms')).toBe(1);
    expect(parseDuration('30m')).toBe(1_800_000);
  });
});

describe('messages in plain words', () => {
  it('worker.concurrency.reconcile: 16 by default (tenants overlap on their pacers), 1 to 256', () => {
    expect(load(doc()).worker.concurrency.reconcile).toBe(16);
    expect(load({ ...doc(), worker: { concurrency: { reconcile: 256 } } }).worker.concurrency).toEqual({ collect: 2, ingest: 4, reconcile: 256, writeback: 1, notify: 4 });
    expect(problems((d) => (d.worker = { concurrency: { reconcile: 0 } }))).toEqual(['worker.concurrency.reconcile: expected a number of at least 1']);
    expect(problems((d) => (d.worker = { concurrency: { reconcile: 257 } }))).toEqual(['worker.concurrency.reconcile: expected a number of at most 256']);
  });

  it('says what a number bound is, once', () => {
    expect(problems((d) => (d.targets[0].objectsPerRun = 0))).toEqual(['targets[0].objectsPerRun: expected a number of at least 1']);
    expect(problems((d) => (d.targets[0].namedLocation.maxLocations = 196))).toEqual(['targets[0].namedLocation.maxLocations: expected a number of at most 195']);
    expect(problems((d) => (d.targets[0].rateLimit = { requestsPerSecond: 0 }))).toEqual(['targets[0].rateLimit.requestsPerSecond: expected a number greater than 0']);
  });

  it('names NaN and fractions instead of "expected number, got number"', () => {
    expect(problems((d) => (d.targets[0].objectsPerRun = Number.NaN))).toEqual(['targets[0].objectsPerRun: expected number, got NaN (.nan is not a number)']);
    expect(problems((d) => (d.targets[0].objectsPerRun = 1.5))).toEqual(['targets[0].objectsPerRun: expected a whole number, got 1.5']);
  });

  it('an empty string is "expected a non-empty string"', () => {
    expect(problems((d) => (d.targets[0].clientSecret = ''))).toEqual(['targets[0].clientSecret: expected a non-empty string']);
  });
});

describe('prefix floors and "very broad" thresholds', () => {
  it('defaults to /9 (IPv4) and /24 (IPv6) floors, warnings broader than /12 and /29, from one place', () => {
    const s = load(doc()).targets[0]!.safety;
    expect({ v4: s.minPrefixV4, v6: s.minPrefixV6, w4: s.warnBroaderThanV4, w6: s.warnBroaderThanV6 }).toEqual({ v4: 9, v6: 24, w4: 12, w6: 29 });
    expect(DEFAULT_RANGE_OPTIONS).toEqual({ minPrefixV4: 9, minPrefixV6: 24, allowReserved: false });
  });

  it('accepts stricter or Microsoft-limit floors and refuses anything broader than /8', () => {
    const d = doc();
    d.targets[0].safety = { minPrefixV4: 8, minPrefixV6: 32, warnBroaderThanV4: 16, warnBroaderThanV6: 48 };
    expect(load(d).targets[0]?.safety).toMatchObject({ minPrefixV4: 8, minPrefixV6: 32, warnBroaderThanV4: 16, warnBroaderThanV6: 48 });
    expect(problems((x) => (x.targets[0].safety = { minPrefixV6: 7 }))).toEqual(['targets[0].safety.minPrefixV6: expected a number of at least 8']);
    expect(problems((x) => (x.targets[0].safety = { warnBroaderThanV4: 33 }))).toEqual(['targets[0].safety.warnBroaderThanV4: expected a number of at most 32']);
  });
});

describe('indicator life cycle: thresholds and the ThreatQ whitelist (issue 18)', () => {
  function tqDoc(): any {
    const d = doc();
    d.sources = [{ name: 'tq', kind: 'threatq', url: 'https://tq.example.com', auth: { grant: 'client_credentials', clientId: 'c', clientSecret: 's' }, collections: [{ id: 'h1', targets: ['t1'] }] }];
    return d;
  }
  function tqProblems(fn: (d: any) => void): string[] {
    const d = tqDoc();
    fn(d);
    return configProblems(() => load(d));
  }
  const col = (key: string, v: unknown) => tqProblems((d) => (d.sources[0].collections[0][key] = v));
  const src = (key: string, v: unknown) => tqProblems((d) => (d.sources[0][key] = v));

  it('defaults: no thresholds, the whitelist honoured with status Whitelisted, no whitelist collection', () => {
    const s = load(tqDoc()).sources[0];
    expect(s).toMatchObject({ neverBlockWhitelisted: true, whitelistStatuses: ['Whitelisted'] });
    expect(s?.kind === 'threatq' && s.whitelistCollection).toBeUndefined();
    expect(s?.kind === 'threatq' && s.collections[0]).not.toHaveProperty('minScore');
    expect(s?.kind === 'threatq' && s.collections[0]).not.toHaveProperty('maxAge');
  });

  it('accepts minScore 0-10 (text too, for ${VAR}) and maxAge from 1h to 3660d, in milliseconds', () => {
    const d = tqDoc();
    Object.assign(d.sources[0].collections[0], { minScore: '6.5', maxAge: '90d' });
    Object.assign(d.sources[0], { neverBlockWhitelisted: 'false', whitelistStatuses: ['Whitelisted', 'False Positive'], whitelistCollection: 'wl-hash' });
    const s = load(d).sources[0];
    expect(s).toMatchObject({ neverBlockWhitelisted: false, whitelistStatuses: ['Whitelisted', 'False Positive'], whitelistCollection: 'wl-hash', collections: [{ minScore: 6.5, maxAge: 90 * 86_400_000 }] });
    for (const [text, ms] of [['1h', 3_600_000], ['3660d', 3660 * 86_400_000]] as const) {
      const x = tqDoc();
      x.sources[0].collections[0].maxAge = text;
      expect(load(x).sources[0]).toMatchObject({ collections: [{ maxAge: ms }] });
    }
  });

  it('refuses a bad minScore, naming its path', () => {
    expect(col('minScore', -1)).toEqual(['sources[0].collections[0].minScore: expected a number of at least 0']);
    expect(col('minScore', 11)).toEqual(['sources[0].collections[0].minScore: expected a number of at most 10']);
    expect(col('minScore', 'high')).toEqual(['sources[0].collections[0].minScore: expected number, got string']);
  });

  it('refuses a bad maxAge, naming its path', () => {
    expect(col('maxAge', '30m')).toEqual(['sources[0].collections[0].maxAge: expected a duration between 1h and 3660d, got "30m"']);
    expect(col('maxAge', '4000d')).toEqual(['sources[0].collections[0].maxAge: expected a duration between 1h and 3660d, got "4000d"']);
    expect(col('maxAge', 'soon')).toEqual(['sources[0].collections[0].maxAge: expected a duration such as "15m", "1h" or "1d" (a number and one of ms, s, m, h, d), got "soon"']);
  });

  it('refuses bad whitelist keys, naming their paths', () => {
    expect(src('neverBlockWhitelisted', 'maybe')).toEqual(['sources[0].neverBlockWhitelisted: expected boolean, got string']);
    expect(src('whitelistStatuses', [])).toEqual(['sources[0].whitelistStatuses: expected at least 1 item(s)']);
    expect(src('whitelistStatuses', ['Whitelisted', ''])).toEqual(['sources[0].whitelistStatuses[1]: expected a non-empty string']);
    expect(src('whitelistStatuses', 'Whitelisted')).toEqual(['sources[0].whitelistStatuses: expected array, got string']);
    expect(src('whitelistCollection', '')).toEqual(['sources[0].whitelistCollection: expected a non-empty string']);
    expect(src('whitelistCollection', 5)).toEqual(['sources[0].whitelistCollection: expected string, got number']);
  });

  it('refuses a collection status that is also a whitelist status (any case), unless the whitelist is off', () => {
    expect(col('statuses', ['Active', 'whitelisted'])).toEqual([
      'sources[0].collections[0].statuses[1]: "whitelisted" is a whitelist status of this source (whitelistStatuses): it cannot also be blocked',
    ]);
    const d = tqDoc();
    d.sources[0].neverBlockWhitelisted = false;
    d.sources[0].collections[0].statuses = ['Active', 'Whitelisted'];
    expect(load(d).sources[0]).toMatchObject({ collections: [{ statuses: ['Active', 'Whitelisted'] }] });
  });

  it('the keys belong to ThreatQ collections and sources: a file source refuses them', () => {
    expect(problems((d) => (d.sources[0].minScore = 5))).toEqual(['sources[0].minScore: unknown key']);
    expect(problems((d) => (d.sources[0].neverBlockWhitelisted = true))).toEqual(['sources[0].neverBlockWhitelisted: unknown key']);
  });
  it('writeBack: defaults when the block is given, and each bad value named by its path', () => {
    const d = tqDoc();
    d.sources[0].writeBack = {};
    expect(load(d).sources[0]).toMatchObject({ writeBack: { tag: 'Blocked in Entra', attribute: 'Entra Block', onRemoval: 'untag', removedTag: 'Unblocked in Entra', requestsPerSecond: 5 } });
    expect(load(tqDoc()).sources[0]).not.toHaveProperty('writeBack');
    const wb = (v: unknown) => tqProblems((x) => (x.sources[0].writeBack = v));
    expect(wb({ tag: false, attribute: false })).toEqual(['sources[0].writeBack.tag: expected tag or attribute (both are false: nothing to write back)']);
    expect(wb({ onRemoval: 'delete' })).toEqual(['sources[0].writeBack.onRemoval: expected one of untag, tag']);
    expect(wb({ requestsPerSecond: 0 })).toEqual(['sources[0].writeBack.requestsPerSecond: expected a number greater than 0']);
    expect(wb({ requestsPerSecond: 51 })).toEqual(['sources[0].writeBack.requestsPerSecond: expected a number of at most 50']);
    expect(wb({ tag: '' })).toHaveLength(1);
    expect(wb({ colour: 'red' })).toEqual(['sources[0].writeBack.colour: unknown key']);
  });

  it('removalGrace: a duration from 1s to 30d on a target, named by its path when wrong', () => {
    const d = doc();
    d.targets[0].removalGrace = '24h';
    expect(load(d).targets[0]?.removalGrace).toBe(86_400_000);
    expect(load(doc()).targets[0]?.removalGrace).toBeUndefined();
    expect(problems((x) => (x.targets[0].removalGrace = '31d'))).toEqual(['targets[0].removalGrace: expected a duration between 1s and 30d, got "31d"']);
    expect(problems((x) => (x.targets[0].removalGrace = '0s'))).toHaveLength(1);
    expect(problems((x) => (x.targets[0].removalGrace = 'a day'))).toEqual([
      'targets[0].removalGrace: expected a duration such as "15m", "1h" or "1d" (a number and one of ms, s, m, h, d), got "a day"',
    ]);
  });
});

describe('lockout guard and What If keys (issue 17)', () => {
  const enabledAll = (d: any, users: Record<string, unknown>) => {
    d.targets[0].policy.state = 'enabled';
    d.targets[0].policy.users = { include: ['All'], ...users };
  };

  it('refuses an enabled policy for All users excluding no user or group by id, naming the target and what to set', () => {
    for (const users of [{}, { exclude: ['GuestsOrExternalUsers'] }, { excludeRoles: ['62e90394-69f5-4237-9190-012177145e10'] }]) {
      const [p, ...rest] = problems((d) => enabledAll(d, users));
      expect(rest).toEqual([]);
      expect(p).toMatch(/^targets\[0\]\.policy\.users\.exclude: lockout guard: target "t1" enables its policy for All users with no user or group excluded/);
      expect(p).toMatch(/policy\.users\.exclude .*policy\.users\.excludeGroups.*safety\.allowNoExclusions: true$/);
    }
  });

  it('accepts it with an excluded user or group id, in report-only, or with safety.allowNoExclusions: true', () => {
    const loads = (fn: (d: any) => void) => {
      const d = doc();
      fn(d);
      return load(d).targets[0]?.policy.state;
    };
    expect(loads((d) => enabledAll(d, { exclude: [USER] }))).toBe('enabled');
    expect(loads((d) => enabledAll(d, { excludeGroups: [USER] }))).toBe('enabled');
    expect(loads((d) => (enabledAll(d, {}), (d.targets[0].policy.state = 'enabledForReportingButNotEnforced')))).toBe('enabledForReportingButNotEnforced');
    expect(loads((d) => (enabledAll(d, {}), (d.targets[0].safety = { allowNoExclusions: true })))).toBe('enabled');
    expect(loads((d) => (enabledAll(d, {}), (d.targets[0].safety = { allowNoExclusions: 'true' })))).toBe('enabled');
  });

  it('checks emergencyAccounts, canaryUsers and whatIfSampleSize', () => {
    expect(load({ ...doc(), targets: [{ ...doc().targets[0], safety: { emergencyAccounts: [USER], canaryUsers: [USER], whatIfSampleSize: '3' } }] }).targets[0]?.safety).toMatchObject({
      emergencyAccounts: [USER],
      canaryUsers: [USER],
      whatIfSampleSize: 3,
    });
    expect(problems((d) => (d.targets[0].safety = { emergencyAccounts: ['breakglass@contoso.com'] }))).toEqual([
      'targets[0].safety.emergencyAccounts[0]: expected a GUID such as 00000000-0000-0000-0000-000000000000, got "breakglass@contoso.com"',
    ]);
    expect(problems((d) => (d.targets[0].safety = { canaryUsers: 'x' }))[0]).toMatch(/^targets\[0\]\.safety\.canaryUsers: expected array/);
    expect(problems((d) => (d.targets[0].safety = { whatIfSampleSize: 0 }))).toEqual(['targets[0].safety.whatIfSampleSize: expected a number of at least 1']);
    expect(problems((d) => (d.targets[0].safety = { whatIfSampleSize: 51 }))).toEqual(['targets[0].safety.whatIfSampleSize: expected a number of at most 50']);
  });
});
