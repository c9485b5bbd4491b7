/**
 * bench:ranges: parse + merge speed and memory of the range engine (`npm run bench:ranges`).
 *
 * Generates 1,000,000 indicators deterministically (seeded PRNG): about 85% IPv4 addresses (half drawn
 * from 4,000 clustered /24s so merges happen, half uniform), 10% IPv4 CIDRs /16-/30 (one in ten with
 * host bits set), 5% IPv6 (addresses and /32-/64 CIDRs in a few hundred /32s). Then:
 *   1. in-process: RangeAccumulator.add() for every value + toCidrs(), default policy (floor /8,
 *      reserved refused); a few runs, prints time, indicators/s, and the process's peak RSS;
 *   2. when /usr/bin/iprange exists (Debian package `iprange`, FireHOL): the IPv4 part as a file,
 *      `iprange --optimize FILE` vs `tq-entra ranges merge --allow-reserved --min-prefix-v4 0 FILE`
 *      as whole processes (start-up included; same work: no filtering on either side), checks that
 *      both print the same ranges, prints both times and the ratio (target <= 1.0).
 * Peak RSS is measured in a fresh child process (input read from a file, one parse + merge), not in the
 * timing loop, whose repeated runs and generator garbage would inflate it.
 * Options: --count N (default 1000000), --runs N (default 5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RangeAccumulator } from '../src/ranges/index.ts';
import { mulberry32 } from '../src/emulators/mulberry32.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

const COUNT = arg('--count', 1_000_000);
const RUNS = arg('--runs', 5);


function v4text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function generate(count: number, seed = 20240501): { all: string[]; v4: string[] } {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const clusters = Array.from({ length: 4000 }, () => (int(2 ** 24) * 256) >>> 0);
  const v6Nets = Array.from({ length: 300 }, () => [0x2400 + int(0x0c00), int(65536)]);
  const all: string[] = new Array<string>(count);
  const v4: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    let value: string;
    if (r < 0.85) {
      const a = rnd() < 0.5 ? ((clusters[int(clusters.length)] ?? 0) + int(256)) >>> 0 : int(2 ** 32) >>> 0;
      value = v4text(a);
      v4.push(value);
    } else if (r < 0.95) {
      const prefix = 16 + int(15);
      const size = 2 ** (32 - prefix);
      let a = int(2 ** 32);
      if (rnd() < 0.9) a -= a % size;
      value = `${v4text(a >>> 0)}/${prefix}`;
      v4.push(value);
    } else {
      const [g0, g1] = v6Nets[int(v6Nets.length)] ?? [0x2400, 0];
      const h = (): string => int(65536).toString(16);
      if (rnd() < 0.7) value = `${(g0 ?? 0).toString(16)}:${(g1 ?? 0).toString(16)}:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`;
      else {
        const prefix = 32 + int(33);
        value = `${(g0 ?? 0).toString(16)}:${(g1 ?? 0).toString(16)}:${h()}:${h()}::/${prefix}`;
      }
    }
    all[i] = value;
  }
  // Flatten: template literals build rope strings; feeds arrive as flat strings (JSON.parse, lines).
  const flat = (list: string[]): string[] => (list.length === 0 ? [] : list.join('\n').split('\n'));
  return { all: flat(all), v4: flat(v4) };
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

function inProcess(values: readonly string[]): void {
  console.log(`in-process parse + merge of ${values.length.toLocaleString('en-US')} indicators (RangeAccumulator, floor /8, reserved refused)`);
  const times: number[] = [];
  let out = 0;
  let rejected = 0;
  for (let run = 1; run <= RUNS; run++) {
    const t0 = performance.now();
    const acc = new RangeAccumulator({ minPrefixV4: 8, minPrefixV6: 8, allowReserved: false });
    for (let i = 0; i < values.length; i++) acc.add(values[i] ?? '');
    const cidrs = acc.toCidrs();
    const ms = performance.now() - t0;
    times.push(ms);
    out = cidrs.length;
    rejected = acc.rejected;
    console.log(`  run ${run}: ${ms.toFixed(0)} ms  (${Math.round(values.length / (ms / 1000)).toLocaleString('en-US')} indicators/s)`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(`  median ${median.toFixed(0)} ms, first ${(times[0] ?? 0).toFixed(0)} ms; ${out.toLocaleString('en-US')} CIDRs out, ${rejected.toLocaleString('en-US')} rejected`);
  console.log(`  ${Math.round(values.length / (median / 1000)).toLocaleString('en-US')} indicators/s (median); target: <= 500 ms`);
}

/**
 * Peak RSS of one parse + merge of the whole input in a fresh process: the probe reads the input file
 * the parent wrote, holds it as 1M strings (as a batch consumer would), and runs RangeAccumulator once.
 */
function rssProbe(file: string): void {
  const values = readFileSync(file, 'latin1').split('\n');
  const before = process.resourceUsage().maxRSS;
  const acc = new RangeAccumulator({ minPrefixV4: 8, minPrefixV6: 8, allowReserved: false });
  for (let i = 0; i < values.length; i++) acc.add(values[i] ?? '');
  const n = acc.toCidrs().length;
  console.log(JSON.stringify({ inputRssKb: before, peakRssKb: process.resourceUsage().maxRSS, out: n }));
}

function reportRss(all: readonly string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ranges-'));
  try {
    const file = join(dir, 'all.txt');
    writeFileSync(file, all.join('\n'));
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--rss-probe', file], { encoding: 'utf8' });
    const m = /\{.*\}/.exec(r.stdout ?? '');
    if (!m) {
      console.log(`  peak RSS probe failed: ${(r.stderr ?? '').slice(-300)}`);
      return;
    }
    const p = JSON.parse(m[0]) as { inputRssKb: number; peakRssKb: number };
    console.log(`  peak RSS, fresh process, one run: ${mb(p.peakRssKb)} (${mb(p.inputRssKb)} before parsing: Node, tsx and the ${all.length.toLocaleString('en-US')} input strings); target <= 300 MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ProcResult {
  ms: number;
  stdout: string;
  maxRssKb: number | undefined;
}

const TIME = '/usr/bin/time';

function runProcess(cmd: string, args: string[]): Promise<ProcResult> {
  // /usr/bin/time -f %M reports the child's peak RSS when available.
  const useTime = existsSync(TIME);
  const [file, argv] = useTime ? [TIME, ['-f', '__RSS__%M', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`));
      const m = /__RSS__(\d+)/.exec(err);
      resolve({ ms, stdout: Buffer.concat(out).toString('utf8'), maxRssKb: m ? Number(m[1]) : undefined });
    });
  });
}

async function versusIprange(v4: readonly string[]): Promise<void> {
  const iprange = '/usr/bin/iprange';
  if (!existsSync(iprange)) {
    console.log('\niprange comparison skipped: /usr/bin/iprange not found (apt-get install -y iprange)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-ranges-'));
  try {
    const file = join(dir, 'ipv4.txt');
    writeFileSync(file, `${v4.join('\n')}\n`);
    const bin = fileURLToPath(new URL('../bin/tq-entra.js', import.meta.url));
    const ours = [bin, 'ranges', 'merge', '--allow-reserved', '--min-prefix-v4', '0', file];
    console.log(`\nwhole processes on the IPv4 part (${v4.length.toLocaleString('en-US')} lines), median of ${RUNS} runs:`);
    // Warm tsx's transform cache once so every measured run is a normal start.
    await runProcess(process.execPath, ours);
    const ip: ProcResult[] = [];
    const tq: ProcResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      ip.push(await runProcess(iprange, ['--optimize', file]));
      tq.push(await runProcess(process.execPath, ours));
    }
    const med = (rs: ProcResult[]): ProcResult => [...rs].sort((a, b) => a.ms - b.ms)[Math.floor(rs.length / 2)] as ProcResult;
    const a = med(ip);
    const b = med(tq);
    const rss = (r: ProcResult): string => (r.maxRssKb === undefined ? '' : `, peak RSS ${mb(r.maxRssKb)}`);
    console.log(`  iprange --optimize:   ${a.ms.toFixed(0)} ms${rss(a)}`);
    console.log(`  tq-entra ranges merge: ${b.ms.toFixed(0)} ms${rss(b)}`);
    console.log(`  ratio tq-entra / iprange: ${(b.ms / a.ms).toFixed(2)} (target <= 1.00)`);
    // iprange prints single addresses without "/32".
    const norm = (s: string): string[] => s.split('\n').filter(Boolean).map((l) => (l.includes('/') ? l : `${l}/32`));
    const same = JSON.stringify(norm(a.stdout)) === JSON.stringify(norm(b.stdout));
    console.log(`  outputs identical: ${same ? 'yes' : 'NO'} (${norm(b.stdout).length.toLocaleString('en-US')} CIDRs)`);
    const empty = [] as number[];
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      spawnSync(process.execPath, [bin, 'ranges', 'merge'], { input: '' });
      empty.push(performance.now() - t0);
    }
    console.log(`  (tq-entra start-up alone, empty input: ${[...empty].sort((x, y) => x - y)[Math.floor(RUNS / 2)]?.toFixed(0)} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const probe = process.argv.indexOf('--rss-probe');
  if (probe >= 0) return rssProbe(process.argv[probe + 1] ?? '');
  const t0 = performance.now();
  const { all, v4 } = generate(COUNT);
  console.log(`generated ${all.length.toLocaleString('en-US')} indicators (${v4.length.toLocaleString('en-US')} IPv4) in ${(performance.now() - t0).toFixed(0)} ms; node ${process.version}\n`);
  inProcess(all);
  reportRss(all);
  await versusIprange(v4);
}

// Run only as a script (other code may import generate()).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
