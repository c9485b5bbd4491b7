/**
 * The two emulators as processes of their own (`tq-entra emulate threatq|graph`), as a real ThreatQ
 * and a real Graph would be: their CPU and memory are not the benchmark's, and their peak RSS can be
 * read from /proc. Plus thin clients of their `/__emulator/*` controls:
 *
 *   ThreatQ (HTTP)   POST /__emulator/indicators/{id}   mutate an indicator (value, type, status; updated_at → now)
 *   Graph (HTTPS, the emulator's own CA)
 *                    GET /__emulator/requests?kind=graph   request log (method, path, status, body)
 *                    DELETE /__emulator/requests           clear it
 *                    GET /__emulator/state                  named locations and policies of the tenant
 *                    PATCH /__emulator/config               e.g. { throttle: { requestsPerSecond } }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { GeneratorDistribution } from '../../src/emulators/threatq/emulator-seed.ts';

export interface EmulatorProcess {
  proc: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export interface GraphEmulatorProcess extends EmulatorProcess {
  caFile: string;
  caPem: string;
}

function startProcess(bin: string, args: string[], ready: RegExp, timeoutMs = 30_000): Promise<{ proc: ChildProcess; out: string; match: RegExpExecArray }> {
  // BENCH_EMULATOR_NODE_FLAGS="…" passes extra node flags to the emulators (e.g. --cpu-prof).
  const flags = (process.env['BENCH_EMULATOR_NODE_FLAGS'] ?? '').split(/\s+/).filter(Boolean);
  const proc = spawn(process.execPath, [...flags, bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.slice(0, 2).join(' ')}: not ready within ${timeoutMs} ms: ${out}`)), timeoutMs);
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.removeAllListeners('data');
        proc.stdout?.resume();
        resolve({ proc, out, match: m });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.slice(0, 2).join(' ')} exited (${code}): ${out}`));
    });
  });
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
}

export async function spawnThreatQEmulator(bin: string, count: number, generatorSeed: number, distribution: GeneratorDistribution = 'clustered'): Promise<EmulatorProcess> {
  const { proc, match } = await startProcess(
    bin,
    ['emulate', 'threatq', '--port', '0', '--generate', String(count), '--generator-seed', String(generatorSeed), '--generator-distribution', distribution],
    /listening on (http:\/\/[0-9.:]+)/,
    120_000,
  );
  return { proc, url: match[1] ?? '', stop: stopper(proc) };
}

export async function spawnGraphEmulator(bin: string, requestsPerSecond: number): Promise<GraphEmulatorProcess> {
  const { proc, match } = await startProcess(
    bin,
    ['emulate', 'graph', '--port', '0', '--rps', String(requestsPerSecond), '--burst', '1'],
    /listening on (https:\/\/[0-9.:]+)[\s\S]*CA file:\s+(\S+)/,
  );
  const caFile = match[2] ?? '';
  return { proc, url: match[1] ?? '', caFile, caPem: readFileSync(caFile, 'utf8'), stop: stopper(proc) };
}

export function httpsJson(url: string, ca: string, method: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, ca, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`${method} ${url}: ${res.statusCode ?? '?'} ${text.slice(0, 300)}`));
        resolve(text ? (JSON.parse(text) as unknown) : undefined);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface GraphLogEntry {
  method: string;
  path: string;
  status: number;
  at: number;
  /** displayName of a POST body (a created location or policy). */
  displayName?: string;
}

export interface GraphNamedLocation {
  id: string;
  displayName: string;
  ipRanges?: { cidrAddress: string }[];
}

export interface GraphControl {
  requests(): Promise<GraphLogEntry[]>;
  clearRequests(): Promise<void>;
  namedLocations(): Promise<GraphNamedLocation[]>;
  policies(): Promise<{ id: string; displayName: string; state: string }[]>;
}

export function graphControl(emu: GraphEmulatorProcess): GraphControl {
  const base = `${emu.url}/__emulator`;
  return {
    async requests() {
      const body = (await httpsJson(`${base}/requests?kind=graph`, emu.caPem, 'GET')) as { requests: (GraphLogEntry & { body?: { displayName?: unknown } })[] };
      return body.requests.map((r) => {
        const e: GraphLogEntry = { method: r.method, path: r.path, status: r.status, at: r.at };
        if (typeof r.body?.displayName === 'string') e.displayName = r.body.displayName;
        return e;
      });
    },
    async clearRequests() {
      await httpsJson(`${base}/requests`, emu.caPem, 'DELETE');
    },
    async namedLocations() {
      const body = (await httpsJson(`${base}/state`, emu.caPem, 'GET')) as { namedLocations: GraphNamedLocation[] };
      return body.namedLocations;
    },
    async policies() {
      const body = (await httpsJson(`${base}/state`, emu.caPem, 'GET')) as { policies: { id: string; displayName: string; state: string }[] };
      return body.policies;
    },
  };
}

/** Apply indicator mutations (value, and type or status when given) through the ThreatQ emulator's control, `concurrency` at a time. */
export async function mutateIndicators(tqUrl: string, patches: readonly { id: number; value: string; type?: string; status?: string }[], concurrency = 8): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (;;) {
      const p = patches[next];
      next += 1;
      if (!p) return;
      const res = await fetch(`${tqUrl}/__emulator/indicators/${p.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: p.value, ...(p.type === undefined ? {} : { type: p.type }), ...(p.status === undefined ? {} : { status: p.status }) }),
      });
      if (!res.ok) throw new Error(`mutate indicator ${p.id}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}
