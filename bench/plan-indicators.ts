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
import { benchTargetDoc } from './lib/bench-config.ts';
import { startGraphEmulator, type GraphEmulator } from '../src/emulators/graph/graph-emulator.ts';
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

/** The file to plan: --file as given, else one of --lines lines generated in the temp directory. */
function indicatorsFile(): string {
  const file = args.file ?? join(dir, 'indicators.txt');
  if (args.file === undefined) {
    const t0 = performance.now();
    generate(file, lines);
    console.log(`generated ${lines.toLocaleString('en-US')} lines, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${file}`);
  }
  return file;
}

/** Writes config.yaml for one target on the emulator (195 × 2000 ranges); returns its path. */
function writeConfig(emu: GraphEmulator, redisUrl: string, prefix: string): string {
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify({ redis: { url: redisUrl, prefix }, targets: [benchTargetDoc('bench', emu)] }));
  return config;
}

interface RssSamples {
  /** The kernel's high-water mark (VmHWM), MB. */
  peak: number;
  /** The largest RSS seen by sampling, MB, and when (s after t0). */
  sampledPeak: number;
  sampledPeakAt: number;
}

/** Samples the process's memory every 20 ms until `stop()`. */
function sampleRss(pid: number | undefined, t0: number): { samples: RssSamples; stop(): void } {
  const samples: RssSamples = { peak: 0, sampledPeak: 0, sampledPeakAt: 0 };
  const poll = setInterval(() => {
    const hwm = peakRssMb(pid);
    if (Number.isFinite(hwm)) samples.peak = Math.max(samples.peak, hwm);
    const rss = rssMb(pid);
    if (rss > samples.sampledPeak) {
      samples.sampledPeak = rss;
      samples.sampledPeakAt = (performance.now() - t0) / 1000;
    }
  }, 20);
  return { samples, stop: () => clearInterval(poll) };
}

interface PlanOutcome extends RssSamples {
  code: number | null;
  seconds: number;
  stderr: string;
  stdoutBytes: number;
  stdoutHead: string;
  /** When the summary line came (the file read and merged), s. */
  readDoneAt: number | undefined;
}

/** Runs `tq-entra plan --json` on the file and watches its output and memory until it exits. */
async function runPlan(config: string, file: string): Promise<PlanOutcome> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'plan', '--config', config, '--target', 'bench', '--indicators', file, '--json'], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const o = { stderr: '', stdoutBytes: 0, stdoutHead: '', readDoneAt: undefined as number | undefined };
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    o.stderr += s;
    if (o.readDoneAt === undefined && /range\(s\)/.test(o.stderr)) o.readDoneAt = (performance.now() - t0) / 1000;
  });
  child.stdout.on('data', (b: Buffer) => {
    if (o.stdoutHead.length < 4096) o.stdoutHead += b.toString('utf8');
    o.stdoutBytes += b.length;
  });
  const rss = sampleRss(child.pid, t0);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  rss.stop();
  return { ...o, ...rss.samples, code, seconds: (performance.now() - t0) / 1000 };
}

function report(r: PlanOutcome): void {
  const summary = /(\S+ indicator\(s\) accepted, \d+ rejected.*-> \d+ range\(s\))/.exec(r.stderr)?.[1] ?? '(no summary line)';
  const desired = /"desired": (\d+)/.exec(r.stdoutHead)?.[1];
  console.log(`plan --indicators: exit ${r.code}, ${r.seconds.toFixed(1)} s, plan JSON ${(r.stdoutBytes / 2 ** 20).toFixed(1)} MiB, summary.desired ${desired ?? '?'}`);
  console.log(`  ${summary.slice(0, 300)}`);
  console.log(`  peak RSS ${r.peak.toFixed(0)} MB (target <= ${TARGET_MB} MB): ${r.peak <= TARGET_MB ? 'met' : 'NOT met'}`);
  console.log(`  largest sampled RSS ${r.sampledPeak.toFixed(0)} MB at ${r.sampledPeakAt.toFixed(1)} s; file read and merged at ${r.readDoneAt?.toFixed(1) ?? '?'} s`);
  console.log(`  machine: ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);
  if (r.code !== 0) console.log(r.stderr.slice(-2000));
}

async function main(): Promise<void> {
  const file = indicatorsFile();
  const emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
  const prefix = `tqe-bench-plan-indicators-${process.pid}`;
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const config = writeConfig(emu, redisUrl, prefix);
  try {
    report(await runPlan(config, file));
  } finally {
    await emu.close();
    const redis = new Redis(redisUrl);
    await deleteKeysByPrefix(redis, prefix);
    redis.disconnect();
    if (!args.keep && args.file === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
