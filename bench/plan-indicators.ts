/**
 * Benchmark of `tq-entra plan --indicators FILE` on a very large file (issue 13, finding 4: a 200 MB
 * file of 14.7M distinct addresses used to exhaust a 4.9 GB heap). Target: peak RSS of the plan
 * process ≤ 400 MB for a 15,000,000-line file.
 *
 * It writes the file to the system temp directory (mostly distinct IPv4 addresses spread over the
 * whole space by a multiplicative hash, so a few percent land in reserved space and are rejected; 2 %
 * IPv6 addresses; 0.5 % junk lines), starts the Graph emulator in this process (throttling off), and
 * runs the real CLI (`node bin/tq-entra.js plan --json`) against a target of 195 × 2000 ranges
 * (Entra's ceiling), on the Redis at REDIS_URL (default redis://127.0.0.1:6379, a throw-away key
 * prefix). The plan's peak RSS is the kernel's high-water mark (VmHWM), read until the process exits.
 *
 * Run: `npm run bench:plan-indicators [-- --lines N] [-- --file PATH]` (--file reuses an existing file;
 * the generated file is removed at the end unless --keep).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { DEFAULT_APPS, DEFAULT_TENANT_ID } from '../src/emulators/graph/emulator-options.ts';
import { startGraphEmulator } from '../src/emulators/graph/graph-emulator.ts';
import { deleteKeysByPrefix } from '../src/redis/redis-scan.ts';
import { peakRssMb, rssMb } from './lib/proc-memory.ts';

const TARGET_MB = 400;
const { values: args } = parseArgs({
  options: { lines: { type: 'string', default: '15000000' }, file: { type: 'string' }, keep: { type: 'boolean', default: false } },
});
const lines = Number(args.lines);
const BIN = fileURLToPath(new URL('../bin/tq-entra.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tqe-plan-indicators-'));

function v4(i: number): string {
  const a = Math.imul(i + 1, 2654435761) >>> 0; // a bijection of 0..2^32-1: distinct for distinct i
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function generate(path: string, n: number): void {
  const fd = openSync(path, 'w');
  let buf: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const k = i % 200;
    if (k === 0) buf.push(`junk-line-${i}.example`);
    else if (k < 5) buf.push(`2a0${k}:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
    else buf.push(v4(i));
    if (buf.length === 100_000) {
      writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
    }
  }
  if (buf.length > 0) writeSync(fd, `${buf.join('\n')}\n`);
  closeSync(fd);
}

async function main(): Promise<void> {
  const file = args.file ?? join(dir, 'indicators.txt');
  if (args.file === undefined) {
    const t0 = performance.now();
    generate(file, lines);
    console.log(`generated ${lines.toLocaleString('en-US')} lines, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${file}`);
  }
  const emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
  const writer = DEFAULT_APPS[0];
  const config = join(dir, 'config.yaml');
  const prefix = `tqe-bench-plan-indicators-${process.pid}`;
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  writeFileSync(
    config,
    stringify({
      redis: { url: redisUrl, prefix },
      targets: [
        {
          name: 'bench',
          tenantId: DEFAULT_TENANT_ID,
          clientId: writer?.clientId,
          clientSecret: writer?.clientSecret,
          tls: { caFile: emu.caFile },
          cloud: { graphBaseUrl: emu.graphBaseUrl, authorityHost: emu.authorityHost },
          rateLimit: { requestsPerSecond: 100 },
          namedLocation: { name: 'Bench', maxLocations: 195, maxRangesPerLocation: 2000 },
          policy: { name: 'Bench' },
        },
      ],
    }),
  );
  try {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'plan', '--config', config, '--target', 'bench', '--indicators', file, '--json'], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdoutBytes = 0;
    let stdoutHead = '';
    let readDoneAt: number | undefined; // the summary line comes once the file is read and merged
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (readDoneAt === undefined && /range\(s\)/.test(stderr)) readDoneAt = (performance.now() - t0) / 1000;
    });
    child.stdout.on('data', (b: Buffer) => {
      if (stdoutHead.length < 4096) stdoutHead += b.toString('utf8');
      stdoutBytes += b.length;
    });
    let peak = 0;
    let sampledPeak = 0;
    let sampledPeakAt = 0;
    const poll = setInterval(() => {
      const hwm = peakRssMb(child.pid);
      if (Number.isFinite(hwm)) peak = Math.max(peak, hwm);
      const rss = rssMb(child.pid);
      if (rss > sampledPeak) {
        sampledPeak = rss;
        sampledPeakAt = (performance.now() - t0) / 1000;
      }
    }, 20);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(poll);
    const seconds = (performance.now() - t0) / 1000;
    const summary = /(\S+ indicator\(s\) accepted, \d+ rejected.*-> \d+ range\(s\))/.exec(stderr)?.[1] ?? '(no summary line)';
    const desired = /"desired": (\d+)/.exec(stdoutHead)?.[1];
    console.log(`plan --indicators: exit ${code}, ${seconds.toFixed(1)} s, plan JSON ${(stdoutBytes / 2 ** 20).toFixed(1)} MiB, summary.desired ${desired ?? '?'}`);
    console.log(`  ${summary.slice(0, 300)}`);
    console.log(`  peak RSS ${peak.toFixed(0)} MB (target <= ${TARGET_MB} MB): ${peak <= TARGET_MB ? 'met' : 'NOT met'}`);
    console.log(`  largest sampled RSS ${sampledPeak.toFixed(0)} MB at ${sampledPeakAt.toFixed(1)} s; file read and merged at ${readDoneAt?.toFixed(1) ?? '?'} s`);
    console.log(`  machine: ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);
    if (code !== 0) console.log(stderr.slice(-2000));
  } finally {
    await emu.close();
    const redis = new Redis(redisUrl);
    await deleteKeysByPrefix(redis, prefix);
    redis.disconnect();
    if (!args.keep && args.file === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
