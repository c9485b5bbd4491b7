/**
 * docker-compose.yml checked without a Docker engine (npm run test:compose runs it on a real one):
 * it parses, it has the services and safety properties the operations guide promises, one service
 * builds the image and the others run it by name, the configuration directory is mounted read-only,
 * a missing dashboard password fails the dashboard only (checked by loading config/demo.yaml with
 * each service's environment, as the container would), the Graph emulator keeps its key in its own
 * volume and is probed on its port, and every app service's command is a real `tq-entra` subcommand
 * whose flags that subcommand accepts (checked with the real binary's `--help`). The Dockerfile runs
 * the same binary as a non-root user; the README says how to run, use and stop the demo.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/config/errors/config-error.ts';
import { createEmulatorCertificate } from '../../src/emulators/graph/emulator-certificate.ts';
import { runCli } from '../helpers/run-cli.ts';

type Volume = string | { type: string; source: string; target: string; read_only?: boolean };
interface Service {
  image?: string;
  build?: { context?: string; args?: Record<string, string> } | string;
  pull_policy?: string;
  command?: string[];
  profiles?: string[];
  volumes?: Volume[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  env_file?: ({ path: string; required?: boolean } | string)[];
  restart?: string;
  ports?: string[];
}

const root = new URL('../../', import.meta.url);
const composeText = readFileSync(new URL('docker-compose.yml', root), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const IMAGE = 'threatq-entra-sync:local';
const appServices = Object.entries(services).filter(([, s]) => s.image === IMAGE);
const coreApp = appServices.filter(([, s]) => !s.profiles?.includes('demo'));
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The subcommand words of a command (up to the first option) and the long flags it uses. */
function split(command: string[]): { words: string[]; flags: string[] } {
  const first = command.findIndex((a) => a.startsWith('-'));
  const words = first < 0 ? command : command.slice(0, first);
  return { words, flags: command.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a) };
}

/** Compose's own interpolation of `${NAME}` and `${NAME:-default}` in a value, from the shell environment. */
function composeInterpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def?: string) => shell[name] || def || '');
}

function volumeTargets(s: Service): Map<string, Exclude<Volume, string>> {
  const out = new Map<string, Exclude<Volume, string>>();
  for (const v of s.volumes ?? []) {
    if (typeof v === 'string') {
      const [source = '', target = '', mode] = v.split(':');
      out.set(target, { type: 'volume', source, target, read_only: mode === 'ro' });
    } else out.set(v.target, v);
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'tq-entra-compose-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  it('has Redis with AOF persistence on a volume, 2 workers, the scheduler and the dashboard', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'worker', 'scheduler', 'dashboard']));
    const redis = services['redis'];
    expect(redis?.command?.join(' ')).toContain('--appendonly yes');
    expect(redis?.command?.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(redis?.volumes).toContain('redis-data:/data');
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(services['worker']?.deploy?.replicas).toBe(2);
    expect(services['worker']?.healthcheck?.test.join(' ')).toContain('/healthz');
    expect(services['dashboard']?.healthcheck?.test.join(' ')).toContain('/healthz');
    expect(services['scheduler']?.command).toEqual(['scheduler', '--watch']);
  });

  it('one service builds the image; every other app service runs it by name and never pulls it', () => {
    const builders = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(builders.map(([name]) => name)).toEqual(['worker']);
    const build = services['worker']?.build;
    expect(typeof build === 'object' && build.args?.['BASE_IMAGE']).toBe('${TQ_ENTRA_BASE_IMAGE:-node:20-bookworm-slim}');
    expect(appServices.length).toBeGreaterThanOrEqual(6);
    for (const [name, s] of appServices) {
      expect(s.image, name).toBe(IMAGE);
      expect(s.pull_policy, name).toBe('never');
    }
    // Redis' image can be replaced by a locally built one too.
    expect(services['redis']?.image).toBe('${TQ_ENTRA_REDIS_IMAGE:-redis:7-alpine}');
  });

  it('mounts the configuration directory read-only in every app service and keeps secrets out of the file', () => {
    // The only password-like values are the placeholders given to services that never use it.
    const withoutPlaceholders = composeText.replace(/PASSWORD: not-given-to-this-service/g, '');
    expect(withoutPlaceholders).not.toMatch(/(secret|password)\s*[:=]\s*\S+/i);
    for (const [name, s] of coreApp) {
      const cfg = volumeTargets(s).get('/etc/tq-entra');
      expect(cfg, name).toMatchObject({ type: 'bind', source: '${TQ_ENTRA_CONFIG_DIR:-./config}', read_only: true });
      expect([...volumeTargets(s).keys()].some((t) => t.endsWith('.yaml')), `${name} mounts no single file`).toBe(false);
      expect(s.environment?.['TQ_ENTRA_CONFIG'], name).toBe('/etc/tq-entra/${TQ_ENTRA_CONFIG_NAME:-config.yaml}');
      expect(s.environment?.['REDIS_URL'], name).toBe('redis://redis:6379');
    }
    // The default source is a directory holding the shipped configurations.
    expect(statSync(new URL('config/', root)).isDirectory()).toBe(true);
    expect(statSync(new URL('config/demo.yaml', root)).isFile()).toBe(true);
  });

  it('a missing DEMO_DASHBOARD_PASSWORD fails the dashboard only, with a message naming it, and the dashboard stops retrying', async () => {
    // What each container would see with the demo configuration: the service's environment after
    // compose's interpolation, plus tq-entra.env (here without the password), with the CA file path
    // pointed at a real certificate (the one the Graph emulator would write).
    const cert = await createEmulatorCertificate({ caFile: join(tmp, 'ca.pem') });
    const shell = { TQ_ENTRA_CONFIG_NAME: 'demo.yaml' };
    const configFor = (s: Service, envFile: Record<string, string>) => {
      const env: Record<string, string> = { ...envFile };
      for (const [k, v] of Object.entries(s.environment ?? {})) env[k] = composeInterpolate(String(v), shell);
      if (env['DEMO_GRAPH_CA_FILE'] === '/var/lib/tq-entra/graph-ca/ca.pem') env['DEMO_GRAPH_CA_FILE'] = cert.caFile;
      const path = env['TQ_ENTRA_CONFIG'] ?? '';
      expect(path).toBe('/etc/tq-entra/demo.yaml');
      return () => loadConfigFile(new URL(`config/${path.slice('/etc/tq-entra/'.length)}`, root).pathname, { env });
    };
    for (const [name, s] of coreApp.filter(([n]) => n !== 'dashboard')) {
      expect(configFor(s, {}), `${name} starts without the dashboard password`).not.toThrow();
      expect(s.restart, name).toBe('unless-stopped');
    }
    const dashboard = services['dashboard'] as Service;
    let err: unknown;
    try {
      configFor(dashboard, {})();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_ENV_MISSING');
    expect((err as ConfigError).problems).toEqual(['dashboard.password: environment variable DEMO_DASHBOARD_PASSWORD is not set']);
    // With the password in tq-entra.env it starts, and the other services never receive it.
    expect(configFor(dashboard, { DEMO_DASHBOARD_PASSWORD: 'from-the-env-file' })().dashboard.password).toBe('from-the-env-file');
    for (const [name, s] of coreApp.filter(([n]) => n !== 'dashboard')) {
      expect(configFor(s, { DEMO_DASHBOARD_PASSWORD: 'from-the-env-file' })().dashboard.password, name).not.toBe('from-the-env-file');
    }
    // A configuration error exits 2 at once: bounded retries, then the dashboard stays stopped.
    expect(dashboard.restart).toMatch(/^on-failure:[1-5]$/);
    for (const [name, s] of coreApp) expect(s.env_file, name).toEqual([{ path: '${TQ_ENTRA_ENV_FILE:-./tq-entra.env}', required: false }]);
  });

  it('the Graph emulator keeps its key in its own volume, shares only the CA, and is probed on its port', () => {
    const graph = services['graph-emulator'] as Service;
    const cmd = graph.command ?? [];
    const stateDir = cmd[cmd.indexOf('--state-dir') + 1] ?? '';
    const caFile = cmd[cmd.indexOf('--ca-file') + 1] ?? '';
    expect(stateDir).toBe('/var/lib/tq-entra/graph-state');
    expect(caFile).toBe('/var/lib/tq-entra/graph-ca/ca.pem');
    const mine = volumeTargets(graph);
    expect(mine.get(stateDir)?.source).toBe('graph-state');
    expect(compose.volumes).toHaveProperty('graph-state');
    for (const [name, s] of coreApp) {
      const vols = volumeTargets(s);
      expect([...vols.values()].some((v) => v.source === 'graph-state'), `${name} cannot read the emulator's key`).toBe(false);
      expect(vols.get('/var/lib/tq-entra/graph-ca'), name).toMatchObject({ source: 'graph-ca', read_only: true });
    }
    const probe = graph.healthcheck?.test.join(' ') ?? '';
    expect(probe).not.toContain('test -s');
    expect(probe).not.toMatch(/"?test"?,?\s+"?-s"?/);
    expect(probe).toContain('8444');
    expect(probe).toContain(caFile);
  });

  it('the demo profile adds two ThreatQ emulators and the Graph emulator', () => {
    const demo = Object.entries(services).filter(([, s]) => s.profiles?.includes('demo'));
    const commands = demo.map(([, s]) => split(s.command ?? []).words.join(' ')).sort();
    expect(commands).toEqual(['emulate graph', 'emulate threatq', 'emulate threatq']);
    for (const [, s] of demo) expect(s.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
  });

  it('every app service runs a real tq-entra subcommand with flags it accepts', async () => {
    const checks = new Map<string, string[]>();
    for (const [name, s] of appServices) {
      expect(s.command, `${name} has a command`).toBeDefined();
      const { words, flags } = split(s.command ?? []);
      const key = words.join(' ');
      checks.set(key, [...new Set([...(checks.get(key) ?? []), ...flags])]);
    }
    await Promise.all(
      [...checks].map(async ([words, flags]) => {
        const res = await runCli([...words.split(' '), '--help']);
        expect(res.code, `tq-entra ${words} --help: ${res.stderr}`).toBe(0);
        expect(res.stdout).toContain(`Usage: tq-entra ${words}`);
        for (const flag of flags) expect(res.stdout, `tq-entra ${words} accepts ${flag}`).toContain(flag);
      }),
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');

  it('installs production dependencies only (tsx is one), runs as non-root, enters through the CLI', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).toHaveProperty('tsx');
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{BASE_IMAGE\}$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/tq-entra\.js"\]$/m);
    for (const dir of ['bin', 'src', 'workers']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    // The Graph emulator's volumes start owned by `node` (a new named volume copies the image's directory).
    expect(dockerfile).toMatch(/mkdir -p \/var\/lib\/tq-entra\/graph-ca \/var\/lib\/tq-entra\/graph-state/);
  });
});

describe('README: docker-compose', () => {
  it('states the minimum Compose version and how to start, use and stop the demo', () => {
    expect(readme).toMatch(/Compose v2\.24/);
    expect(readme).toContain('docker compose --profile demo down -v');
    expect(readme).toContain('http://127.0.0.1:3000/queues');
    expect(readme).toMatch(/user `demo`/);
    expect(readme).toMatch(/docker compose (run --rm worker|exec worker) .*sync --target demo-tenant/);
    expect(readme).toContain('npm run test:compose');
  });
});

describe('package.json', () => {
  it('runs the compose smoke test on request only, not in npm test', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test:compose']).toBe('tsx test/compose/compose-smoke.ts');
    expect(pkg.scripts['test']).not.toContain('compose');
  });
});

