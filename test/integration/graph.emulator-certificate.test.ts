/**
 * The Graph emulator's TLS key and certificate outlive a restart when it has a state directory
 * (issue 12, item 4): a client that trusted the CA before `docker compose restart graph-emulator`
 * (a worker's cached Graph client) must still connect afterwards, instead of failing with
 * DEPTH_ZERO_SELF_SIGNED_CERT. A stored pair that no longer fits is replaced.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import got from 'got';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CERT_FILE, KEY_FILE } from '../../src/emulators/graph/emulator-certificate.ts';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../../src/emulators/graph/graph-emulator.ts';
import { BIN } from '../helpers/run-cli.ts';

let dir: string;
const running: GraphEmulator[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tq-entra-graph-state-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 }, ...options });
  running.push(emu);
  return emu;
}

async function stop(emu: GraphEmulator): Promise<void> {
  running.splice(running.indexOf(emu), 1);
  await emu.close();
}

/** SHA-256 fingerprint of the certificate the server presents (no verification: we only look). */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

/** A verifying HTTPS request that trusts only `caPem`, as a worker's Graph client does. */
async function openIdStatus(emu: GraphEmulator, caPem: string): Promise<number> {
  const tenant = emu.tenants()[0] ?? '';
  const res = await got(`${emu.graphBaseUrl}/${tenant}/v2.0/.well-known/openid-configuration`, { https: { certificateAuthority: caPem }, retry: { limit: 0 } });
  return res.statusCode;
}

describe('Graph emulator certificate with a state directory', () => {
  it('serves the same certificate after a restart, so a client that trusted the old CA still connects', async () => {
    const first = await start({ stateDir: dir });
    const before = await servedFingerprint(first.port);
    const trustedBefore = first.caPem;
    expect(first.certificateReused).toBe(false);
    expect(first.caFile).toBe(join(dir, 'ca.pem'));
    await stop(first);

    const second = await start({ stateDir: dir });
    expect(second.certificateReused).toBe(true);
    expect(await servedFingerprint(second.port)).toBe(before);
    expect(second.caPem).toBe(trustedBefore);
    expect(await openIdStatus(second, trustedBefore)).toBe(200);
    // The private key is readable by its owner only.
    expect(statSync(join(dir, KEY_FILE)).mode & 0o077).toBe(0);
  });

  it('writes the CA file where asked, the same one at each start', async () => {
    const caFile = join(dir, 'shared', 'ca.pem');
    const first = await start({ stateDir: join(dir, 'state'), caFile });
    const pem = readFileSync(caFile, 'utf8');
    await stop(first);
    const second = await start({ stateDir: join(dir, 'state'), caFile });
    expect(readFileSync(caFile, 'utf8')).toBe(pem);
    expect(await openIdStatus(second, pem)).toBe(200);
  });

  it('replaces a stored pair that does not parse, or does not cover a new public host name', async () => {
    const first = await start({ stateDir: dir });
    const original = await servedFingerprint(first.port);
    await stop(first);

    writeFileSync(join(dir, CERT_FILE), 'not a certificate');
    const second = await start({ stateDir: dir });
    expect(second.certificateReused).toBe(false);
    const replaced = await servedFingerprint(second.port);
    expect(replaced).not.toBe(original);
    expect(await openIdStatus(second, second.caPem)).toBe(200);
    await stop(second);

    // Reused while the names fit …
    const third = await start({ stateDir: dir });
    expect(third.certificateReused).toBe(true);
    expect(await servedFingerprint(third.port)).toBe(replaced);
    await stop(third);
    // … renewed when a name is added (the compose service name), and it then covers that name.
    const fourth = await start({ stateDir: dir, publicHost: 'graph-emulator' });
    expect(fourth.certificateReused).toBe(false);
    expect(await servedFingerprint(fourth.port)).not.toBe(replaced);
    expect(new X509Certificate(fourth.caPem).checkHost('graph-emulator')).toBe('graph-emulator');
  });

  it('without a state directory makes a new certificate at every start (tests and the in-process demo)', async () => {
    const a = await start({});
    const b = await start({});
    expect(a.certificateReused).toBe(false);
    expect(await servedFingerprint(a.port)).not.toBe(await servedFingerprint(b.port));
  });
});

describe('tq-entra emulate graph --state-dir', () => {
  async function runOnce(): Promise<{ out: string; fingerprint: string }> {
    const child = spawn(process.execPath, [BIN, 'emulate', 'graph', '--port', '0', '--state-dir', dir], {
      env: { ...process.env, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no summary in time; got: ${out}`)), 20_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('Controls:')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('close', () => reject(new Error(`exited early; got: ${out}`)));
      });
      const port = Number(/Graph base URL:\s+https:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const fingerprint = await servedFingerprint(port);
      return { out, fingerprint };
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }

  it('serves the same certificate from one state directory across two processes', async () => {
    const first = await runOnce();
    expect(first.out).toContain(`CA file:         ${join(dir, 'ca.pem')}`);
    expect(first.out).not.toContain('reused');
    const second = await runOnce();
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.out).toContain('key and certificate reused from the state directory');
  });
});
