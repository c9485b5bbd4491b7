/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: it parses, it has the
 * services and safety properties the operations guide promises, and every app service's command is
 * a real `tq-entra` subcommand whose flags that subcommand accepts (checked with the real binary's
 * `--help`). The Dockerfile runs the same binary as a non-root user.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/run-cli.ts';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  ports?: string[];
}

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** The subcommand words of a command (up to the first option) and the long flags it uses. */
function split(command: string[]): { words: string[]; flags: string[] } {
  const first = command.findIndex((a) => a.startsWith('-'));
  const words = first < 0 ? command : command.slice(0, first);
  return { words, flags: command.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a) };
}

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

  it('mounts the configuration read-only in every app service and keeps secrets out of the file', () => {
    const text = readFileSync(new URL('docker-compose.yml', root), 'utf8');
    expect(text).not.toMatch(/(secret|password)\s*[:=]\s*\S+/i);
    for (const [name, s] of appServices.filter(([, s]) => !s.profiles?.includes('demo'))) {
      const cfg = s.volumes?.find((v) => typeof v === 'object' && v.target === '/etc/tq-entra/config.yaml');
      expect(cfg, name).toMatchObject({ type: 'bind', read_only: true });
      expect(s.environment?.['TQ_ENTRA_CONFIG'], name).toBe('/etc/tq-entra/config.yaml');
      expect(s.environment?.['REDIS_URL'], name).toBe('redis://redis:6379');
    }
  });

  it('the demo profile adds two ThreatQ emulators and the Graph emulator', () => {
    const demo = Object.entries(services).filter(([, s]) => s.profiles?.includes('demo'));
    const commands = demo.map(([, s]) => split(s.command ?? []).words.join(' ')).sort();
    expect(commands).toEqual(['emulate graph', 'emulate threatq', 'emulate threatq']);
    for (const [, s] of demo) expect(s.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
  });

  it('every app service runs a real tq-entra subcommand with flags it accepts', async () => {
    expect(appServices.length).toBeGreaterThanOrEqual(6);
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
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/tq-entra\.js"\]$/m);
    for (const dir of ['bin', 'src', 'workers']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });
});
