/**
 * bench:threatq: paging speed and memory of the ThreatQ source on a large collection
 * (`npx tsx bench/threatq.ts [--count 100000] [--page-size 500,1000] [--runs 3]`).
 *
 * Starts the ThreatQ emulator as a separate process (`tq-entra emulate threatq --generate N`), so the
 * figures are the client's alone, then pulls collection 6d4c1f0e2b9a8c7d (all N indicators) through
 * ThreatQSource over real HTTP (client_credentials, statuses [Active], the three IP types) for each page
 * size, `--runs` times. Prints per run: pages, pages/s, indicators seen/s, kept, and memory: heap after
 * a forced GC at page 10 and at the end (growth), the largest heap seen between pages, and the bench
 * process's peak RSS. The emulator's own process is not counted.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ThreatQSource } from '../src/sources/threatq-source.ts';
import { ThreatQClient } from '../src/threatq/threatq-client.ts';
import type { CollectionConfig, ThreatQSourceConfig } from '../src/config/schema.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const COUNT = Number(arg('--count', '100000'));
const PAGE_SIZES = arg('--page-size', '500,1000').split(',').map(Number);
const RUNS = Number(arg('--runs', '3'));
const COLLECTION = '6d4c1f0e2b9a8c7d';
const BIN = fileURLToPath(new URL('../bin/tq-entra.js', import.meta.url));

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function startEmulator(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [BIN, 'emulate', 'threatq', '--port', '0', '--generate', String(COUNT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1] && out.includes('Controls:')) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function run(url: string, pageSize: number): Promise<string> {
  const source: ThreatQSourceConfig = {
    name: 'bench',
    kind: 'threatq',
    url,
    auth: { grant: 'client_credentials', clientId: 'emulator-oauth-client', clientSecret: 'emulator-oauth-secret' },
    tls: { verify: true },
    disableProxies: true,
    pageSize,
    neverBlockWhitelisted: true,
    whitelistStatuses: ['Whitelisted'],
    collections: [{ id: COLLECTION, targets: ['t'], statuses: ['Active'], types: ['IP Address', 'IPv6 Address', 'CIDR Block'] }],
  } as ThreatQSourceConfig;
  const client = ThreatQClient.fromConfig(source);
  const collection = source.collections[0] as CollectionConfig;
  let pages = 0;
  let seen = 0;
  let kept = 0;
  let at10 = 0;
  let peakHeap = 0;
  const started = process.hrtime.bigint();
  for await (const p of new ThreatQSource(client, source, collection).pages()) {
    pages++;
    seen += p.seen;
    kept += p.indicators.length;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    if (pages === 10) at10 = heap();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const end = heap();
  client.close();
  return (
    `pageSize ${String(pageSize).padStart(5)}: ${pages} pages in ${seconds.toFixed(2)} s = ${(pages / seconds).toFixed(1)} pages/s, ` +
    `${Math.round(seen / seconds)} indicators/s (kept ${kept}); heap at page 10 ${mb(at10)} MB, at end ${mb(end)} MB ` +
    `(growth ${mb(end - at10)} MB), peak between pages ${mb(peakHeap)} MB`
  );
}

const emu = await startEmulator();
try {
  console.log(`ThreatQ source bench: ${COUNT} indicators from ${emu.url} (emulator in its own process), Node ${process.version}`);
  for (const size of PAGE_SIZES) for (let r = 0; r < RUNS; r++) console.log(await run(emu.url, size));
  console.log(`bench process peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
} finally {
  emu.stop();
}
